#!/usr/bin/env python3
"""ocitool.py: builds and tampers with OCI image layouts for the precompile
tests, independently of wasmaot's own writer (so a bug there cannot hide
behind the same bug here).

  ocitool.py artifact DIR MODULE.wasm [TAG]   Wasm artifact image (wasm config)
  ocitool.py rootfs DIR MODULE.wasm [TAG]     rootfs image: /app.wasm, tar layer
  ocitool.py tamper DIR WHAT [ARG]            rewrite the native referrer:
      artifact FILE.wao   replace the artifact bytes (annotation updated too)
      annotation KEY VAL  set an annotation of the artifact layer
      graft OTHERDIR      take OTHERDIR's artifact and signature blobs,
                          keeping this referrer's annotations
      drop-signature      remove the signature layers
      corrupt-blob        flip a byte of the artifact blob in place
  ocitool.py check DIR                        diff_ids == sha256(uncompressed
                                              layers) for every image manifest
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

import zlib  # noqa: F401  (gzip needs it)

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
NATIVE_TYPE = "application/vnd.wasmaot.native.v1"
MT_ART = "application/vnd.wasmaot.native.artifact.v1+zstd"
MT_SIG = "application/vnd.wasmaot.native.signature.v1+json"


def put(d, data, mt):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return {"mediaType": mt, "digest": "sha256:" + h, "size": len(data)}


def blob(d, desc):
    with open(os.path.join(d, "blobs", "sha256", desc["digest"][7:]), "rb") as f:
        return f.read()


def dumps(o):
    return json.dumps(o, separators=(",", ":")).encode()


def write_index(d, descs):
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(d, "index.json"), "wb") as f:
        f.write(dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                       "manifests": descs}))


def tagged(desc, tag):
    desc = dict(desc)
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    return desc


def artifact(d, wasm, tag):
    mod = open(wasm, "rb").read()
    layer = put(d, mod, "application/wasm")
    cfg = put(d, dumps({"architecture": "wasm", "os": "wasip1",
                        "layerDigests": [layer["digest"]]}),
              "application/vnd.wasm.config.v0+json")
    man = put(d, dumps({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                        "config": cfg, "layers": [layer]}), MT_MANIFEST)
    write_index(d, [tagged(man, tag)])


def rootfs(d, wasm, tag):
    mod = open(wasm, "rb").read()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("app.wasm")
        ti.size = len(mod)
        ti.mode = 0o755
        t.addfile(ti, io.BytesIO(mod))
    tar = raw.getvalue()
    layer = put(d, gzip.compress(tar, mtime=0),
                "application/vnd.oci.image.layer.v1.tar+gzip")
    cfg = put(d, dumps({"architecture": "wasm", "os": "wasip1",
                        "config": {"Entrypoint": ["/app.wasm"]},
                        "rootfs": {"type": "layers", "diff_ids": [
                            "sha256:" + hashlib.sha256(tar).hexdigest()]}}),
              "application/vnd.oci.image.config.v1+json")
    man = put(d, dumps({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                        "config": cfg, "layers": [layer]}), MT_MANIFEST)
    write_index(d, [tagged(man, tag)])


def tamper(d, what, args):
    """Rewrites the native referrer that index.json lists (as an attacker
    who can write the image would), keeping every digest consistent."""
    idx = json.load(open(os.path.join(d, "index.json")))
    refs = [m for m in idx["manifests"]
            if m.get("artifactType") == NATIVE_TYPE]
    if len(refs) != 1:
        sys.exit("ocitool: want one native referrer in %s" % d)
    rdesc = refs[0]
    ref = json.loads(blob(d, rdesc))
    art = [l for l in ref["layers"] if l["mediaType"] == MT_ART][0]
    if what == "artifact":
        import subprocess
        data = open(args[0], "rb").read()
        z = subprocess.run(["zstd", "-q", "-c"], input=data,
                           stdout=subprocess.PIPE, check=True).stdout
        art.update(put(d, z, MT_ART))
        art["annotations"]["dev.wasmaot.native.artifact-digest"] = (
            "sha256:" + hashlib.sha256(data).hexdigest())
    elif what == "annotation":
        art["annotations"][args[0]] = args[1]
    elif what == "graft":
        # Another image's artifact and its valid signature, under this
        # image's annotations: a signature moved to where it does not belong.
        oidx = json.load(open(os.path.join(args[0], "index.json")))
        oref = json.loads(blob(args[0], [
            m for m in oidx["manifests"]
            if m.get("artifactType") == NATIVE_TYPE][0]))
        for mt in (MT_ART, MT_SIG):
            src = [l for l in oref["layers"] if l["mediaType"] == mt][0]
            dst = [l for l in ref["layers"] if l["mediaType"] == mt][0]
            dst.update(put(d, blob(args[0], src), mt))
    elif what == "drop-signature":
        ref["layers"] = [l for l in ref["layers"] if l["mediaType"] != MT_SIG]
    elif what == "corrupt-blob":
        p = os.path.join(d, "blobs", "sha256", art["digest"][7:])
        b = bytearray(open(p, "rb").read())
        b[len(b) // 2] ^= 0xFF
        open(p, "wb").write(bytes(b))
        return
    else:
        sys.exit("ocitool: unknown tamper " + what)
    rdesc.update(put(d, dumps(ref), MT_MANIFEST))
    write_index(d, idx["manifests"])


def check(d):
    """Every image manifest reachable from index.json: layers unpack to
    exactly the diff_ids its config lists, as containerd requires."""
    idx = json.load(open(os.path.join(d, "index.json")))
    todo = list(idx["manifests"])
    seen = 0
    while todo:
        desc = todo.pop()
        doc = json.loads(blob(d, desc))
        if "manifests" in doc:
            todo += doc["manifests"]
            continue
        if doc.get("artifactType") == NATIVE_TYPE:
            continue
        cfgdesc = doc["config"]
        if not cfgdesc["mediaType"].endswith("image.config.v1+json"):
            continue
        cfg = json.loads(blob(d, cfgdesc))
        ids = cfg["rootfs"]["diff_ids"]
        if len(ids) != len(doc["layers"]):
            sys.exit("ocitool: %d diff_ids for %d layers" %
                     (len(ids), len(doc["layers"])))
        for l, want in zip(doc["layers"], ids):
            data = blob(d, l)
            if l["mediaType"].endswith("+gzip"):
                data = gzip.decompress(data)
            elif not l["mediaType"].endswith(".tar"):
                sys.exit("ocitool: layer %s is %s, not a tar" %
                         (l["digest"], l["mediaType"]))
            got = "sha256:" + hashlib.sha256(data).hexdigest()
            if got != want:
                sys.exit("ocitool: layer %s: diff_id %s, config says %s" %
                         (l["digest"], got, want))
        seen += 1
    if not seen:
        sys.exit("ocitool: no rootfs image manifest in %s" % d)
    print("ok: %d image manifest(s), diff_ids consistent" % seen)


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "artifact":
        artifact(d, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "latest")
    elif cmd == "rootfs":
        rootfs(d, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "latest")
    elif cmd == "tamper":
        tamper(d, sys.argv[3], sys.argv[4:])
    elif cmd == "check":
        check(d)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
