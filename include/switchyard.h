/* Switchyard's C API: host small local models (and routes over local and remote models) inside
 * an application or a game, without HTTP. Link with -lswitchyard (libswitchyard.so).
 *
 * Conventions
 * - Every string in and out is UTF-8 and NUL-terminated. Requests and responses are OpenAI JSON
 *   (a chat.completions body in, a chat.completion object out), so the HTTP API's reference
 *   (README.md "HTTP API") describes their fields.
 * - Functions return SY_OK or an error code; sy_last_error() then gives a readable message.
 * - Memory returned through an out-parameter belongs to the caller: release it with sy_free().
 * - Thread safety is stated on each function. A runtime is shared by any number of threads.
 */
#ifndef SWITCHYARD_H
#define SWITCHYARD_H

#include <stddef.h>

#if defined(_WIN32)
#define SY_API __declspec(dllexport)
#else
#define SY_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sy_status {
    SY_OK = 0,
    SY_ERR_INVALID_ARGUMENT = 1, /* a NULL handle or pointer that must not be NULL */
    SY_ERR_CONFIG = 2,           /* the configuration file is missing or invalid */
    SY_ERR_BAD_REQUEST = 3,      /* the request JSON is malformed or a field is invalid */
    SY_ERR_NOT_FOUND = 4,        /* no such model or route */
    SY_ERR_BUSY = 5,             /* queue full or overloaded: retry later */
    SY_ERR_FAILED = 6            /* the model or an upstream failed; see sy_last_error() */
} sy_status;

/* One runtime: the configured models (loaded on first use), routes and providers. Opaque. */
typedef struct sy_runtime sy_runtime;

/* Receives each piece of generated text as it is produced (UTF-8, `len` bytes, not
 * NUL-terminated). Called on the thread that called sy_chat, one piece at a time.
 * Return 0 to continue, non-zero to stop the generation (the response then has
 * finish_reason "cancelled"). */
typedef int (*sy_token_callback)(const char* piece, size_t len, void* user_data);

/* The library's version, e.g. "0.1.0". Any thread. */
SY_API const char* sy_version(void);

/* The message of the last failed call on this thread ("" if none). Valid until the next call
 * into the library on this thread. Any thread (each thread has its own). */
SY_API const char* sy_last_error(void);

/* Releases memory returned by the library. NULL is ignored. Any thread. */
SY_API void sy_free(void* p);

/* Reads a switchyard.yaml (the same file the server uses; relative paths resolve against its
 * folder) and starts a runtime. Models load lazily, on first use. On failure *out is NULL and
 * the code is SY_ERR_CONFIG with the file, line and key in sy_last_error().
 * Any thread; each call makes an independent runtime. */
SY_API sy_status sy_open(const char* config_path, sy_runtime** out);

/* Stops the runtime and frees it: waits for calls in progress to end, unloads the models.
 * Call once, after every other call on this runtime has returned. NULL is ignored. */
SY_API void sy_close(sy_runtime* rt);

/* The configured models and routes as JSON:
 * {"models": [{"name", "kind", "aliases"}], "routes": [{"name", "tiers": [...]}]}.
 * Thread-safe. */
SY_API sy_status sy_models(sy_runtime* rt, char** json_out);

/* Runs one chat completion. `request_json` is an OpenAI chat.completions body; its "model" is
 * a model name, an alias or a route name (routes pick a tier and may escalate). With
 * `on_token`, the answer streams through it as it is generated ("stream" in the request is
 * ignored); without, the call just returns the whole answer. `response_json` (may be NULL)
 * receives the chat.completion object, with "usage" and, for routes, a "switchyard" object
 * (tier, model, cost, trace). Blocks until the answer is complete.
 * Thread-safe: any number of threads may call it at once on one runtime (a model batches
 * concurrent requests up to its `parallel` setting and queues the rest). */
SY_API sy_status sy_chat(sy_runtime* rt, const char* request_json, sy_token_callback on_token, void* user_data,
                         char** response_json);

/* Embeds `count` texts with an embedding model (name or alias). On success *vectors holds
 * count * (*dims) floats, row by row, each row L2-normalised; free it with sy_free().
 * Thread-safe. */
SY_API sy_status sy_embed(sy_runtime* rt, const char* model, const char* const* texts, size_t count, float** vectors,
                          size_t* dims);

#ifdef __cplusplus
}
#endif

#endif /* SWITCHYARD_H */
