#!/usr/bin/env python3
"""Offline consistency checks for the files in deploy/.

Schema validation is left to real validators (kubernetes-validate,
docker-compose config, nginx -t, systemd-analyze verify; see README.md).
This script checks what those cannot see: that the files agree with each
other and with the facts the binary relies on.

    python3 deploy/check.py          # needs PyYAML

Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check.py needs PyYAML (pip install pyyaml)")

HERE = Path(__file__).resolve().parent
K8S = HERE / "kubernetes"

PORT = 8000
# The connection budget of kubernetes/configmap.yaml: what PostgreSQL allows, what
# it keeps for superusers, and what is left for people and the migration Job.
PG_MAX_CONNECTIONS = 100
PG_SUPERUSER_RESERVED = 3
PG_KEPT_FOR_OPERATORS = 7
# server.shutdown_timeout_secs and server.drain_delay_secs (config/default.toml).
SHUTDOWN_TIMEOUT_SECS = 20
DRAIN_DELAY_SECS = 5
JWT = "APP__AUTH__JWT_SECRET"
DB_URL = "APP__DATABASE__URL"
SECRET_NAME = "qblog-secrets"
CONFIGMAP_NAME = "qblog-config"

# Every top-level key each kind must have, and the paths below it that the
# manifests here are expected to fill in.
REQUIRED = {
    "ConfigMap": ["metadata.name", "data"],
    "Secret": ["metadata.name", "stringData"],
    "Deployment": ["metadata.name", "spec.replicas", "spec.selector.matchLabels",
                   "spec.template.metadata.labels", "spec.template.spec.containers"],
    "Service": ["metadata.name", "spec.selector", "spec.ports"],
    "Job": ["metadata.name", "spec.template.spec.containers",
            "spec.template.spec.restartPolicy"],
    "Ingress": ["metadata.name", "spec.ingressClassName", "spec.rules"],
    "PodDisruptionBudget": ["metadata.name", "spec.selector.matchLabels"],
    "HorizontalPodAutoscaler": ["metadata.name", "spec.scaleTargetRef",
                                "spec.minReplicas", "spec.maxReplicas"],
    "Kustomization": ["resources"],
}

failures: list[str] = []
passed = 0


def check(cond: bool, what: str) -> None:
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)


def get(obj, dotted: str):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def load_all(path: Path) -> list:
    with path.open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def subset(small: dict, big: dict) -> bool:
    return all(big.get(k) == v for k, v in small.items())


def container_env_names(pod_spec: dict) -> set[str]:
    names = set()
    for c in pod_spec.get("containers", []):
        names.update(e["name"] for e in c.get("env", []))
    return names


def check_pod_spec(name: str, pod_spec: dict, configmap_keys: set[str],
                   secret_keys: set[str]) -> None:
    sc = pod_spec.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot must be true")
    check(isinstance(sc.get("runAsUser"), int) and sc["runAsUser"] != 0,
          f"{name}: pod runAsUser must be a non-zero number")
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    for c in pod_spec.get("containers", []):
        csc = c.get("securityContext", {})
        check(csc.get("readOnlyRootFilesystem") is True,
              f"{name}/{c['name']}: readOnlyRootFilesystem must be true")
        check(csc.get("allowPrivilegeEscalation") is False,
              f"{name}/{c['name']}: allowPrivilegeEscalation must be false")
        check("limits" in c.get("resources", {}) and "requests" in c.get("resources", {}),
              f"{name}/{c['name']}: resources need requests and limits")
        check(c.get("image") == "qblog",
              f"{name}/{c['name']}: image must be the placeholder `qblog` "
              "(kustomization.yaml rewrites it)")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        log_vol = mounts.get("/var/log/qblog")
        check(log_vol is not None and "emptyDir" in volumes.get(log_vol, {}),
              f"{name}/{c['name']}: /var/log/qblog must be an emptyDir mount")
        refs = [e.get("configMapRef", {}).get("name") for e in c.get("envFrom", [])]
        check(CONFIGMAP_NAME in refs, f"{name}/{c['name']}: envFrom must use {CONFIGMAP_NAME}")
        for e in c.get("env", []):
            ref = get(e, "valueFrom.secretKeyRef")
            if ref:
                check(ref.get("name") == SECRET_NAME,
                      f"{name}: env {e['name']} must come from {SECRET_NAME}")
                check(ref.get("key") in secret_keys,
                      f"{name}: secret key {ref.get('key')} is not in secret.example.yaml")
    env = container_env_names(pod_spec)
    for key in (JWT, DB_URL):
        check(key in env, f"{name}: {key} must come from the Secret")
        check(key not in configmap_keys, f"configmap.yaml must not carry {key}")


def check_kubernetes() -> None:
    docs: dict[str, list] = {}
    for path in sorted(K8S.glob("*.yaml")):
        try:
            docs[path.name] = load_all(path)
            check(True, "")
        except yaml.YAMLError as exc:
            check(False, f"{path.name}: YAML error: {exc}")
            return

    by_kind: dict[str, list] = {}
    for fname, items in docs.items():
        for d in items:
            kind = d.get("kind")
            check(bool(d.get("apiVersion")) and bool(kind), f"{fname}: apiVersion/kind missing")
            check("namespace" not in d.get("metadata", {}),
                  f"{fname}: {kind} must not set a namespace")
            for req in REQUIRED.get(kind, []):
                check(get(d, req) is not None, f"{fname}: {kind} lacks {req}")
            by_kind.setdefault(kind, []).append((fname, d))

    kust = docs["kustomization.yaml"][0]
    for res in kust["resources"]:
        check((K8S / res).is_file(), f"kustomization.yaml: resource {res} does not exist")
    check("secret.example.yaml" not in kust["resources"],
          "kustomization.yaml must not include secret.example.yaml")
    check("namespace" not in kust, "kustomization.yaml must stay namespace-free")
    check(any(i.get("name") == "qblog" for i in kust.get("images", [])),
          "kustomization.yaml: images must rewrite `qblog`")
    expected = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    check(set(kust["resources"]) == expected,
          f"kustomization.yaml resources {sorted(kust['resources'])} != {sorted(expected)}")

    cm = by_kind["ConfigMap"][0][1]
    cm_keys = set(cm["data"])
    check(all(isinstance(v, str) for v in cm["data"].values()),
          "configmap.yaml: every value must be a string (quote numbers/booleans)")
    check(cm["data"].get("APP__SERVER__PORT") == str(PORT), "configmap.yaml: port must be 8000")
    check(cm["data"].get("APP__SERVER__HOST") == "0.0.0.0", "configmap.yaml: host must be 0.0.0.0")
    check(cm["data"].get("APP__DATABASE__AUTO_MIGRATE") == "false",
          "configmap.yaml: auto_migrate must be off (the Job migrates)")
    check(bool(cm["data"].get("APP__REDIS__URL")),
          "configmap.yaml: Redis URL must be set (several replicas)")
    check(cm["data"].get("APP__LOG__DIR") == "/var/log/qblog", "configmap.yaml: log dir")

    secret = by_kind["Secret"][0][1]
    secret_keys = set(secret["stringData"])
    check(secret_keys == {JWT, DB_URL}, f"secret.example.yaml keys: {sorted(secret_keys)}")
    check(all("CHANGE-ME" in v for v in secret["stringData"].values()),
          "secret.example.yaml must hold placeholders only")

    dep = by_kind["Deployment"][0][1]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    check(spec["replicas"] == 3, "deployment.yaml: 3 replicas")
    check(subset(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]),
          "deployment.yaml: selector does not match the pod labels")
    check(pod.get("terminationGracePeriodSeconds") == 30,
          "deployment.yaml: terminationGracePeriodSeconds 30")
    check_pod_spec("deployment.yaml", pod, cm_keys, secret_keys)
    c = pod["containers"][0]
    check(get(c, "readinessProbe.httpGet.path") == "/health/ready",
          "deployment.yaml: readiness must probe /health/ready")
    check(get(c, "livenessProbe.httpGet.path") == "/health/live",
          "deployment.yaml: liveness must probe /health/live")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    check(ports.get("http") == PORT, "deployment.yaml: containerPort http must be 8000")
    pre_stop = get(c, "lifecycle.preStop.exec.command") or []
    sleep = int(pre_stop[-1]) if pre_stop and pre_stop[-1].isdigit() else 0
    check(sleep + SHUTDOWN_TIMEOUT_SECS < pod["terminationGracePeriodSeconds"],
          "deployment.yaml: preStop + the whole shutdown must fit in the grace period")
    check(get(spec, "strategy.rollingUpdate.maxUnavailable") == 0,
          "deployment.yaml: a rollout must not take a pod out before its successor is ready")

    job = by_kind["Job"][0][1]
    check(job["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate", "up"],
          "migrate-job.yaml: must run `migrate up`")
    check_pod_spec("migrate-job.yaml", job["spec"]["template"]["spec"], cm_keys, secret_keys)

    svc = by_kind["Service"][0][1]
    check(subset(svc["spec"]["selector"], spec["template"]["metadata"]["labels"]),
          "service.yaml: selector does not match the Deployment's pods")
    check(all(p.get("targetPort") in ("http", PORT) for p in svc["spec"]["ports"]),
          "service.yaml: targetPort must be the http port")

    for fname, ing in by_kind["Ingress"]:
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                check(get(p, "backend.service.name") == svc["metadata"]["name"],
                      f"{fname}: {ing['metadata']['name']} must point at the qblog Service")
    ann = {n: i["metadata"].get("annotations", {}) for _, i in by_kind["Ingress"]
           for n in [i["metadata"]["name"]]}
    main = ann.get("qblog", {})
    check(int(main.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "0")) > 30,
          "ingress.yaml: proxy-read-timeout must exceed the 30 s long poll")
    check(main.get("nginx.ingress.kubernetes.io/proxy-body-size") == "1m",
          "ingress.yaml: proxy-body-size 1m")
    qr = ann.get("qblog-qrcode-check", {})
    check(qr.get("nginx.ingress.kubernetes.io/proxy-buffering") == "off",
          "ingress.yaml: buffering must be off for /api/qrcode/check")
    check(int(qr.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "0")) > 30,
          "ingress.yaml: qrcode read timeout must exceed 30 s")

    pdb = by_kind["PodDisruptionBudget"][0][1]
    check(subset(pdb["spec"]["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]),
          "pdb.yaml: selector does not match the Deployment's pods")
    hpa = by_kind["HorizontalPodAutoscaler"][0][1]
    check(hpa["spec"]["scaleTargetRef"].get("name") == dep["metadata"]["name"]
          and hpa["spec"]["scaleTargetRef"].get("kind") == "Deployment",
          "hpa.yaml: must target the qblog Deployment")
    check(hpa["spec"]["minReplicas"] >= 2, "hpa.yaml: keep at least 2 replicas")
    check(hpa["spec"]["minReplicas"] - 1 >= 1,
          "pdb/hpa: maxUnavailable 1 must leave a pod running")
    surge = get(spec, "strategy.rollingUpdate.maxSurge") or 0
    most_pods = hpa["spec"]["maxReplicas"] + int(surge)
    per_pod = int(cm["data"].get("APP__DATABASE__MAX_CONNECTIONS", "10"))
    budget = PG_MAX_CONNECTIONS - PG_SUPERUSER_RESERVED - PG_KEPT_FOR_OPERATORS
    check(most_pods * per_pod <= budget,
          f"connection budget: {most_pods} pods (HPA max + surge) x {per_pod} connections = "
          f"{most_pods * per_pod} > {budget} ({PG_MAX_CONNECTIONS} - {PG_SUPERUSER_RESERVED} "
          f"reserved - {PG_KEPT_FOR_OPERATORS} for operators)")


def check_compose() -> None:
    compose = load_all(HERE / "compose.yaml")[0]
    services = compose["services"]
    for name in ("postgres", "redis", "migrate", "qblog", "nginx"):
        check(name in services, f"compose.yaml: service {name} missing")
    env = services["qblog"]["environment"]
    check(env is services["migrate"]["environment"] or env == services["migrate"]["environment"],
          "compose.yaml: migrate and qblog must share one environment")
    check(env.get(JWT) == "${QBLOG_JWT_SECRET:?set QBLOG_JWT_SECRET}",
          "compose.yaml: JWT secret must be the required placeholder")
    check(":?" in env.get(DB_URL, ""), "compose.yaml: DB password must be required, not defaulted")
    check(env.get("APP__DATABASE__AUTO_MIGRATE") == "false",
          "compose.yaml: replicas must not auto-migrate")
    check(env.get("APP__REDIS__URL", "").startswith("redis://redis:"),
          "compose.yaml: replicas must share the redis service")
    check(get(services["qblog"], "deploy.replicas") == 2, "compose.yaml: 2 qblog replicas")
    check(services["migrate"].get("command") == ["migrate", "up"], "compose.yaml: migrate up")
    deps = services["qblog"]["depends_on"]
    check(get(deps, "migrate.condition") == "service_completed_successfully",
          "compose.yaml: qblog must wait for migrate to finish")
    check(get(deps, "redis.condition") == "service_healthy", "compose.yaml: qblog waits for redis")
    check(get(services["nginx"], "depends_on.qblog.condition") == "service_healthy",
          "compose.yaml: nginx waits for healthy replicas")
    for name in ("postgres", "redis", "qblog", "nginx"):
        check("healthcheck" in services[name], f"compose.yaml: {name} needs a healthcheck")
    check("ports" not in services["qblog"], "compose.yaml: replicas must not publish ports")
    nginx_ip = get(services["nginx"], "networks.backend.ipv4_address")
    check(nginx_ip == env.get("APP__SERVER__TRUSTED_PROXIES"),
          "compose.yaml: trusted proxy must be nginx's fixed address")
    mounts = services["nginx"].get("volumes", [])
    check(any(m.startswith("./nginx/qblog-compose.conf:") for m in mounts),
          "compose.yaml: nginx must mount nginx/qblog-compose.conf")
    check(get(services["qblog"], "build.dockerfile") == "deploy/Dockerfile"
          and get(services["qblog"], "build.context") == "..",
          "compose.yaml: build from the repository root with deploy/Dockerfile")
    check(not re.search(r"(?i)jwt_secret:\s*['\"]?[A-Za-z0-9+/=]{32,}",
                        (HERE / "compose.yaml").read_text()),
          "compose.yaml: looks like a real JWT secret was committed")


def nginx_body(conf: str) -> str:
    """The configuration from the upstream block on, without its server lines and
    comments: what both variants must share."""
    body = conf[conf.index("upstream qblog_app {"):]
    lines = [line for line in body.splitlines()
             if not line.strip().startswith(("#", "server ", "access_log "))]
    return "\n".join(lines)


def check_nginx() -> None:
    conf = (HERE / "nginx" / "qblog.conf").read_text()
    compose = (HERE / "nginx" / "qblog-compose.conf").read_text()
    check(nginx_body(conf) == nginx_body(compose),
          "nginx/qblog-compose.conf differs from qblog.conf beyond its upstream servers")
    for needle in ("proxy_set_header X-Forwarded-For", "proxy_set_header X-Real-IP",
                   "proxy_set_header X-Forwarded-Proto", "proxy_set_header X-Request-Id",
                   "client_max_body_size 1m;", "keepalive ", "gzip on;",
                   "application/json", "error_page 413", "error_page 502", "error_page 503",
                   "error_page 504", "proxy_next_upstream error"):
        check(needle in conf, f"nginx/qblog.conf: `{needle}` missing")
    servers = re.findall(r"^\s*server \S+(.*);", conf, re.M)
    check(bool(servers) and all("max_fails=0" in s for s in servers),
          "nginx/qblog.conf: every upstream server needs max_fails=0 (a restart must not "
          "mark instances down)")
    keepalive = re.search(r"keepalive_timeout (\d+)s;", conf)
    check(keepalive is not None and int(keepalive.group(1)) < DRAIN_DELAY_SECS,
          "nginx/qblog.conf: upstream keepalive_timeout must be shorter than the drain delay")
    directives = "\n".join(l for l in conf.splitlines() if not l.strip().startswith("#"))
    check(re.search(r"\$(request|request_uri|args|query_string)(?![_a-z])", directives) is None,
          "nginx/qblog.conf: logs must not carry the query string ($request, $request_uri, "
          "$args): it can hold poll tokens")
    m = re.search(r"location = /api/qrcode/check \{(.*?)\}", conf, re.S)
    check(m is not None and "proxy_buffering off;" in m.group(1),
          "nginx/qblog.conf: buffering must be off for /api/qrcode/check")
    timeouts = [int(t) for t in re.findall(r"proxy_read_timeout (\d+)s;", conf)]
    check(bool(timeouts) and min(timeouts) > 30, "nginx/qblog.conf: read timeouts must exceed 30 s")


def check_dockerfile() -> None:
    text = (HERE / "Dockerfile").read_text()
    for needle in ("FROM ${RUST_IMAGE} AS builder", "ARG RUST_IMAGE=rust:1.95-bookworm",
                   "ARG RUNTIME_IMAGE=debian:bookworm-slim", "cargo build --release --locked -p qblog-server",
                   "ca-certificates", "APP_ENV=production", "EXPOSE 8000", "/health/live",
                   'ENTRYPOINT ["qblog"]', 'CMD ["serve"]', "COPY config/ /app/config/"):
        check(needle in text, f"Dockerfile: `{needle}` missing")
    users = re.findall(r"^USER (\S+)", text, re.M)
    check(bool(users) and not users[-1].startswith(("root", "0")), "Dockerfile: must end as non-root")


def check_systemd() -> None:
    sd = HERE / "systemd"
    for unit in ("qblog.service", "qblog@.service"):
        text = (sd / unit).read_text()
        for needle in ("EnvironmentFile=/etc/qblog/qblog.env", "NoNewPrivileges=yes",
                       "ProtectSystem=strict", "ReadWritePaths=", "Restart=on-failure",
                       "KillSignal=SIGTERM", "TimeoutStopSec="):
            check(needle in text, f"systemd/{unit}: `{needle}` missing")
    instance = (sd / "qblog@.service").read_text()
    check("APP__SERVER__PORT=%i" in instance,
          "systemd/qblog@.service: port must come from the instance name")
    check("Requires=qblog@%i.socket" in instance,
          "systemd/qblog@.service: must serve on its socket unit")
    socket_unit = (sd / "qblog@.socket").read_text()
    check("ListenStream=127.0.0.1:%i" in socket_unit, "systemd/qblog@.socket: ListenStream")
    stop = re.search(r"TimeoutStopSec=(\d+)", instance)
    check(stop is not None and int(stop.group(1)) > SHUTDOWN_TIMEOUT_SECS,
          "systemd/qblog@.service: TimeoutStopSec must exceed the whole shutdown")
    target = (sd / "qblog.target").read_text()
    conf = (HERE / "nginx" / "qblog.conf").read_text()
    nginx_ports = sorted(re.findall(r"server 127\.0\.0\.1:(\d+)", conf))
    target_ports = sorted(re.findall(r"qblog@(\d+)\.service", target))
    check(nginx_ports == target_ports,
          f"systemd/qblog.target instances {target_ports} != nginx upstreams {nginx_ports}")
    env = (sd / "qblog.env.example").read_text()
    check(re.search(r"^APP__AUTH__JWT_SECRET=CHANGE-ME$", env, re.M) is not None,
          "systemd/qblog.env.example: JWT secret must be a placeholder")


def main() -> int:
    for fn in (check_kubernetes, check_compose, check_nginx, check_dockerfile, check_systemd):
        try:
            fn()
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            failures.append(f"{fn.__name__}: unexpected structure ({exc!r})")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{passed} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
