#!/usr/bin/env python3
"""`wasmaot run IMAGE` against OCI layouts built with umoci (a rootfs
image) and by hand (a Wasm artifact: wasm config, one application/wasm
layer), plus an oci-archive made by skopeo and a tampered blob."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean

from common import PROG, check, compiles, env_for, hits, run, workdir


def sh(*args, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if p.returncode != 0:
        print("FAIL: %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        sys.exit(1)
    return p.stdout


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest


def build_layout(base):
    """Layout with tags 'rootfs' (umoci) and 'artifact' (hand-written)."""
    layout = os.path.join(base, "layout")
    bundle = os.path.join(base, "bundle")
    img = layout + ":rootfs"
    sh("umoci", "init", "--layout", layout)
    sh("umoci", "new", "--image", img)
    sh("umoci", "unpack", "--rootless", "--image", img, bundle)
    root = os.path.join(bundle, "rootfs")
    shutil.copy(PROG, os.path.join(root, "prog.wasm"))
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    with open(os.path.join(root, "etc", "greeting"), "w") as f:
        f.write("greetings from the rootfs\n")
    sh("umoci", "repack", "--image", img, bundle)
    sh("umoci", "config", "--image", img, "--config.entrypoint", "/prog.wasm",
       "--config.cmd", "cat", "--config.cmd", "/etc/greeting",
       "--config.env", "GREETING=hello-from-config",
       "--config.env", "PATH=/", "--config.workingdir", "/data",
       "--os", "wasip1", "--architecture", "wasm")
    # The Wasm artifact (CNCF TAG-Runtime layout); umoci cannot write a
    # non-tar layer, so it is written here and tagged in index.json.
    with open(PROG, "rb") as f:
        wasm = f.read()
    layer = put_blob(layout, wasm)
    config = json.dumps({"architecture": "wasm", "os": "wasip1",
                         "layerDigests": [layer]}).encode()
    cfg = put_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.wasm.config.v0+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": cfg, "size": len(config)},
        "layers": [{"mediaType": "application/wasm", "digest": layer,
                    "size": len(wasm)}],
    }).encode()
    man = put_blob(layout, manifest)
    ipath = os.path.join(layout, "index.json")
    with open(ipath) as f:
        index = json.load(f)
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": man, "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "artifact"}})
    with open(ipath, "w") as f:
        json.dump(index, f)
    return layout, layer


def rootfs_image():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    env["TMPDIR"] = os.path.join(base, "tmp")
    os.mkdir(env["TMPDIR"])
    ref = "oci:%s:rootfs" % layout
    # Entrypoint + Cmd: the module reads a file of the preopened rootfs.
    p = run(["run", ref], env)
    check(p.stdout == "greetings from the rootfs\n", "cmd: " + p.stdout)
    check(compiles(p.stderr) == 1, "first run should compile: " + p.stderr)
    # User args replace Cmd; Env comes from the config, --env overrides it.
    p = run(["run", ref, "env", "GREETING"], env)
    check(p.stdout == "GREETING=hello-from-config\n", "env: " + p.stdout)
    check(hits(p.stderr) == 1, "second run should hit: " + p.stderr)
    p = run(["run", "--env", "GREETING=cli", ref, "env", "GREETING"], env)
    check(p.stdout == "GREETING=cli\n", "--env over Env: " + p.stdout)
    p = run(["run", ref, "env", "PWD"], env)
    check(p.stdout == "PWD=/data\n", "WorkingDir: " + p.stdout)
    p = run(["run", ref, "args", "x"], env)
    check(p.stdout.splitlines()[1:] ==
          ["argv[0]=/prog.wasm", "argv[1]=args", "argv[2]=x"],
          "argv: " + p.stdout)
    # The run's copy of the rootfs is removed afterwards.
    check(os.listdir(env["TMPDIR"]) == [],
          "left in TMPDIR: %s" % os.listdir(env["TMPDIR"]))
    p = run(["images"], env)
    check("rootfs" in p.stdout, "image not in the store: " + p.stdout)


def artifact_image():
    base = workdir()
    layout, _ = build_layout(base)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    ref = "oci:%s:artifact" % layout
    p = run(["run", ref, "hello"], env)
    check(p.stdout == "hello from wasm\n", "artifact: " + p.stdout)
    p = run(["run", ref, "args"], env)
    check("argv[1]=args" in p.stdout, "artifact args: " + p.stdout)
    check(hits(p.stderr) == 1, "second run should hit: " + p.stderr)
    # The same module as a file shares the cache entry (same digest).
    p = run(["run", PROG, "hello"], env)
    check(hits(p.stderr) == 1, "file run should hit the image's entry")


def archive_image():
    base = workdir()
    layout, _ = build_layout(base)
    archive = os.path.join(base, "img.tar")
    sh("skopeo", "copy", "oci:%s:rootfs" % layout,
       "oci-archive:%s:rootfs" % archive)
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    p = run(["run", "oci-archive:%s:rootfs" % archive], env)
    check(p.stdout == "greetings from the rootfs\n", "archive: " + p.stdout)


def digest_mismatch():
    base = workdir()
    layout, layer = build_layout(base)
    hexd = layer.split(":")[1]
    path = os.path.join(layout, "blobs", "sha256", hexd)
    with open(path, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    env = env_for(os.path.join(base, "cache"), os.path.join(base, "store"))
    p = run(["run", "oci:%s:artifact" % layout, "hello"], env, expect_rc=1)
    check(layer in p.stderr or layer[:19] in p.stderr,
          "the error does not name the blob %s: %s" % (layer, p.stderr))
    check("hashes to" in p.stderr, "not a digest error: " + p.stderr)
    check(p.stdout == "", "the module ran: " + p.stdout)


if __name__ == "__main__":
    case = sys.argv[1]
    globals()[case]()
    print("PASS " + case)
