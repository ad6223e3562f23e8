"""CPU threads of local models: the OpenMP wait policy that lets every core decode without
stalling under outside load (engine/cpu_threads.h). libgomp reads it when the process starts,
so switchyard re-executes itself with a short spin (GOMP_SPINCOUNT=300) unless the user set a policy."""
from pathlib import Path

from conftest import BINARY, CHAT_MODEL, chat_model_yaml, config_yaml


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(kv.split("=", 1) for kv in raw.decode(errors="replace").split("\0") if "=" in kv)


def test_default_is_a_short_spin(start_server, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    srv = start_server(config_yaml(chat_model_yaml(threads=0)))   # threads unset: the default
    # The environment the running image started with (what libgomp read), in the same process.
    env = environ_of(srv.proc.pid)
    assert env.get("GOMP_SPINCOUNT") == "300"
    assert "OMP_WAIT_POLICY" not in env
    # Re-executed as its own file, so ps and top still show its name (not "exe").
    assert Path(f"/proc/{srv.proc.pid}/comm").read_text().strip() == BINARY.name[:15]
    r = srv.client().chat.completions.create(model=CHAT_MODEL, max_tokens=4, temperature=0,
                                             messages=[{"role": "user", "content": "Say hi."}])
    assert r.usage.completion_tokens >= 1
    srv.stop()


def test_a_policy_the_user_set_is_kept(start_server, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv("GOMP_SPINCOUNT", "5000")
    srv = start_server(config_yaml(chat_model_yaml(threads=1)))
    env = environ_of(srv.proc.pid)
    assert env.get("GOMP_SPINCOUNT") == "5000"
    assert "OMP_WAIT_POLICY" not in env
    srv.stop()
