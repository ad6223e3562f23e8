/* Embedding Switchyard in a C program: open a runtime from a config file, stream a routed chat
 * answer through a token callback, embed two sentences, and show an error.
 *   build/examples/embed_c examples/embed.yaml
 * Exits non-zero when any step fails. */
#include <switchyard.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static int print_piece(const char* piece, size_t len, void* user_data) {
    size_t* count = (size_t*)user_data;
    ++*count;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return 0; /* keep going */
}

int main(int argc, char** argv) {
    const char* config = argc > 1 ? argv[1] : "examples/embed.yaml";
    sy_runtime* rt = NULL;
    if (sy_open(config, &rt) != SY_OK) {
        fprintf(stderr, "open failed: %s\n", sy_last_error());
        return 1;
    }
    printf("switchyard %s\n", sy_version());

    /* A route: the rule sends poems to the "medium" tier. */
    const char* request =
        "{\"model\": \"auto\", \"max_tokens\": 12, \"temperature\": 0,"
        " \"messages\": [{\"role\": \"user\", \"content\": \"Write a poem about the sea.\"}]}";
    size_t pieces = 0;
    char* response = NULL;
    printf("answer: ");
    if (sy_chat(rt, request, print_piece, &pieces, &response) != SY_OK) {
        fprintf(stderr, "\nchat failed: %s\n", sy_last_error());
        sy_close(rt);
        return 1;
    }
    printf("\nstreamed pieces: %zu\n", pieces);
    /* The response is an OpenAI chat.completion; a JSON parser would read "switchyard.tier". */
    printf("answered by tier medium: %s\n", strstr(response, "\"tier\":\"medium\"") ? "yes" : "no");
    int routed = strstr(response, "\"tier\":\"medium\"") != NULL;
    sy_free(response);

    const char* texts[] = {"The cat sat on the mat.", "A kitten rested on the rug."};
    float* vectors = NULL;
    size_t dims = 0;
    if (sy_embed(rt, "minilm", texts, 2, &vectors, &dims) != SY_OK) {
        fprintf(stderr, "embed failed: %s\n", sy_last_error());
        sy_close(rt);
        return 1;
    }
    double dot = 0;
    for (size_t i = 0; i < dims; ++i) dot += (double)vectors[i] * vectors[dims + i];
    printf("embedding dims: %zu, cosine similarity: %.3f\n", dims, dot);
    sy_free(vectors);

    sy_status st = sy_chat(rt, "{\"model\": \"no-such-model\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                           NULL, NULL, NULL);
    printf("unknown model: status %d: %s\n", (int)st, sy_last_error());

    sy_close(rt);
    return routed && pieces > 0 && dims > 0 && st == SY_ERR_NOT_FOUND ? 0 : 1;
}
