#!/usr/bin/env python3
"""`wasmaot package`: images built by the project's own writer are
well-formed (media types, digests, diff_ids, checked here and by skopeo and
umoci), run with `wasmaot run`, and bad input leaves nothing behind."""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

sys.dont_write_bytecode = True  # keep the source tree clean

from common import PROG, check, env_for, fail, run, workdir


def blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256",
                           digest.split(":")[1]), "rb") as f:
        data = f.read()
    check("sha256:" + hashlib.sha256(data).hexdigest() == digest,
          "blob %s does not match its digest" % digest)
    return data


def manifest_of(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for d in index["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return json.loads(blob(layout, d["digest"]))
    fail("no tag %s in %s" % (tag, index))


def wasm_bytes():
    with open(PROG, "rb") as f:
        return f.read()


def artifact():
    d = workdir()
    env = env_for(os.path.join(d, "cache"), os.path.join(d, "store"))
    layout = os.path.join(d, "img")
    run(["package", PROG, "-o", "oci:%s:hello" % layout], env)
    m = manifest_of(layout, "hello")
    check(m["config"]["mediaType"] == "application/vnd.wasm.config.v0+json",
          "config media type %s" % m["config"]["mediaType"])
    check(len(m["layers"]) == 1 and
          m["layers"][0]["mediaType"] == "application/wasm", "layers %s" % m)
    check(blob(layout, m["layers"][0]["digest"]) == wasm_bytes(),
          "the layer is not the module")
    cfg = json.loads(blob(layout, m["config"]["digest"]))
    check(cfg["os"] == "wasip1" and cfg["architecture"] == "wasm32",
          "config platform %s" % cfg)
    p = run(["run", "oci:%s:hello" % layout, "hello"], env)
    check(p.stdout == "hello from wasm\n", "artifact run: " + p.stdout)


def rootfs():
    d = workdir()
    env = env_for(os.path.join(d, "cache"), os.path.join(d, "store"))
    layout = os.path.join(d, "img")
    run(["package", PROG, "-o", "oci:%s" % layout, "--kind", "rootfs",
         "--path", "/bin/prog.wasm", "--env", "GREETING=packaged",
         "--arg", "env", "--arg", "GREETING", "--workdir", "/bin"], env)
    m = manifest_of(layout, "latest")
    cfg = json.loads(blob(layout, m["config"]["digest"]))
    check(cfg["config"]["Entrypoint"] == ["/bin/prog.wasm"] and
          cfg["config"]["Cmd"] == ["env", "GREETING"] and
          cfg["config"]["Env"] == ["GREETING=packaged"] and
          cfg["config"]["WorkingDir"] == "/bin", "config %s" % cfg)
    layer = blob(layout, m["layers"][0]["digest"])
    check(m["layers"][0]["mediaType"] ==
          "application/vnd.oci.image.layer.v1.tar+gzip", "layer type")
    tar = gzip.decompress(layer)
    check(cfg["rootfs"]["diff_ids"] ==
          ["sha256:" + hashlib.sha256(tar).hexdigest()], "diff_ids")
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        f = t.extractfile("bin/prog.wasm")
        check(f is not None and f.read() == wasm_bytes(),
              "the layer does not hold the module at bin/prog.wasm")
    p = run(["run", "oci:%s" % layout], env)
    check(p.stdout == "GREETING=packaged\n", "rootfs run: " + p.stdout)
    # Other tools read it: skopeo copies it (verifying every digest) and
    # umoci unpacks the layer.
    subprocess.run(["skopeo", "copy", "oci:%s:latest" % layout,
                    "oci:%s:copy" % os.path.join(d, "copy")], check=True,
                   capture_output=True)
    subprocess.run(["umoci", "raw", "unpack", "--rootless", "--image",
                    "%s:latest" % layout, os.path.join(d, "rootfs")],
                   check=True, capture_output=True)
    with open(os.path.join(d, "rootfs", "bin", "prog.wasm"), "rb") as f:
        check(f.read() == wasm_bytes(), "umoci unpacked another module")


def archive():
    d = workdir()
    env = env_for(os.path.join(d, "cache"), os.path.join(d, "store"))
    tar = os.path.join(d, "img.tar")
    run(["package", PROG, "-o", "oci-archive:%s:v1" % tar, "--kind", "rootfs",
         "--arg", "hello"], env)
    check(not [n for n in os.listdir(d) if ".layout." in n],
          "the temporary layout was left: %s" % os.listdir(d))
    p = run(["run", "oci-archive:%s:v1" % tar], env)
    check(p.stdout == "hello from wasm\n", "archive run: " + p.stdout)


def bad_input():
    d = workdir()
    env = env_for(os.path.join(d, "cache"), os.path.join(d, "store"))
    junk = os.path.join(d, "junk.wasm")
    with open(junk, "wb") as f:
        f.write(b"\0asm\1\0\0\0\x01\x05\x01\x60")  # truncated type section
    layout = os.path.join(d, "img")
    p = run(["package", junk, "-o", "oci:%s" % layout], env, expect_rc=1)
    check("junk.wasm" in p.stderr, "error does not name the file: " + p.stderr)
    check(not os.path.exists(layout), "an invalid module left a layout")
    p = run(["package", PROG, "-o", "oci:%s" % layout, "--kind", "rootfs",
             "--path", "/../escape.wasm"], env, expect_rc=2)
    check("--path" in p.stderr, p.stderr)
    p = run(["package", PROG, "-o", "127.0.0.1:5000/x:y"], env, expect_rc=1)
    check("oci:DIR" in p.stderr, p.stderr)
    check(not os.path.exists(layout), "a refused command left a layout")


if __name__ == "__main__":
    {"artifact": artifact, "rootfs": rootfs, "archive": archive,
     "bad_input": bad_input}[sys.argv[1]]()
