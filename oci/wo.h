/*
 * wo.h: OCI images for wasmaot (prefix wo_). References, manifests and
 * platforms, safe layer unpacking, image layouts and archives, registry
 * pulls, pushes and OCI 1.1 referrers, and the local content-addressed
 * image store. Every blob's size and digest is checked in one place (blob.c)
 * before anything uses its bytes.
 */
#ifndef WO_H
#define WO_H

#include "wa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "sha256:" + 64 hex digits + NUL. */
#define WO_DIGEST_MAX 72

/* Bounds on documents read from images and registries. */
#define WO_MANIFEST_MAX (4u << 20) /* index or manifest JSON */
#define WO_CONFIG_MAX (8u << 20)   /* image config JSON */

/* --------------------------------------------------------------- digests */

/* Parses "sha256:<64 lower-case hex>" into 32 bytes. Other algorithms are
 * WA_EUNSUPPORTED, anything else WA_EMALFORMED; 'field' names the source. */
int wo_digest_parse(const char *s, const char *field, uint8_t out[32],
                    wa_err *err) WA_MUST_CHECK;
void wo_digest_format(const uint8_t sha[32], char out[WO_DIGEST_MAX]);
/* The 64 hex digits of a valid digest string (pointer into s). */
const char *wo_digest_hex(const char *digest);

/* ------------------------------------------------------------ references */

typedef enum wo_ref_kind {
  WO_REF_REGISTRY, /* [HOST[:PORT]/]NAME[:TAG][@sha256:...] */
  WO_REF_LAYOUT,   /* oci:DIR[:TAG|@sha256:...] */
  WO_REF_ARCHIVE   /* oci-archive:FILE[:TAG|@sha256:...] */
} wo_ref_kind;

typedef struct wo_ref {
  wo_ref_kind kind;
  char path[4096];    /* layout directory or archive file, absolute */
  char domain[256];   /* registry as named: "docker.io", "127.0.0.1:5000" */
  char endpoint[256]; /* where its API answers: "registry-1.docker.io" */
  char repo[256];     /* repository path: "library/alpine" */
  char tag[256];      /* "" when absent ("latest" is filled in for registry
                         references without a digest) */
  char digest[WO_DIGEST_MAX]; /* "" or "sha256:<hex>" */
} wo_ref;

/* Parses a reference; errors are WA_EUSAGE naming the offending part.
 * Registry names follow the distribution grammar: a first component with a
 * '.' or ':' or equal to "localhost" is a host, otherwise docker.io (whose
 * one-component names get "library/"). Layout paths are made absolute. */
int wo_ref_parse(const char *s, wo_ref *out, wa_err *err) WA_MUST_CHECK;

/* The canonical name: "docker.io/library/alpine:3.19",
 * "127.0.0.1:5000/x@sha256:...", "oci:/abs/dir:tag". Returns buf. */
const char *wo_ref_name(const wo_ref *r, char *buf, size_t n);

/* ------------------------------------------------------------- platforms */

typedef struct wo_platform {
  char os[32];
  char arch[32];
  char variant[32];
} wo_platform;

/* "OS/ARCH[/VARIANT]", lower-cased. WA_EUSAGE on bad syntax. */
int wo_platform_parse(const char *s, wo_platform *out,
                      wa_err *err) WA_MUST_CHECK;
/* "os/arch[/variant]" into buf; returns buf. */
const char *wo_platform_str(const wo_platform *p, char *buf, size_t n);
/* wasip1|wasi on wasm|wasm32: a platform wasmaot runs. */
bool wo_platform_is_wasm(const wo_platform *p);

/* ----------------------------------------------------- documents (JSON) */

/* The media types wasmaot knows, by role. */
typedef enum wo_role {
  WO_ROLE_UNKNOWN,
  WO_ROLE_INDEX,
  WO_ROLE_MANIFEST,
  WO_ROLE_CONFIG,      /* OCI or Docker image config */
  WO_ROLE_WASM_CONFIG, /* Wasm artifact config */
  WO_ROLE_LAYER,       /* tar, tar+gzip, tar+zstd */
  WO_ROLE_WASM_LAYER   /* raw module bytes */
} wo_role;

wo_role wo_media_role(const char *media_type);

/* A content descriptor. Strings live in the arena of the document. */
typedef struct wo_desc {
  const char *media_type;
  char digest[WO_DIGEST_MAX];
  uint64_t size;
  bool has_platform;
  wo_platform platform;
  const char *ref_name;      /* annotation org.opencontainers.image.ref.name */
  const char *image_name;    /* annotation io.containerd.image.name */
  const char *artifact_type; /* "artifactType" (referrers), or NULL */
  /* All annotations as key/value pairs: annotations[2*i] is a key,
   * annotations[2*i+1] its value (the two above included). When writing, the
   * ref_name and image_name fields win over these pairs. */
  const char *const *annotations;
  size_t n_annotations;
} wo_desc;

/* An image index or Docker manifest list. */
typedef struct wo_index {
  const char *media_type;
  wo_desc *manifests;
  size_t n_manifests;
  const char *artifact_type; /* or NULL */
  const wo_desc *subject;    /* OCI 1.1 "subject", or NULL */
} wo_index;

/* An image manifest (OCI or Docker schema 2). */
typedef struct wo_manifest {
  const char *media_type;
  const char *artifact_type; /* or NULL */
  wo_desc config;
  wo_desc *layers;
  size_t n_layers;
  const wo_desc *subject; /* OCI 1.1 "subject", or NULL */
} wo_manifest;

/* The parts of an image config wasmaot uses. NULL-terminated arrays. */
typedef struct wo_config {
  wo_platform platform;
  const char **entrypoint;
  size_t n_entrypoint;
  const char **cmd;
  size_t n_cmd;
  const char **env;
  size_t n_env;
  const char *working_dir; /* or NULL */
  const char **diff_ids;   /* rootfs.diff_ids */
  size_t n_diff_ids;
} wo_config;

/*
 * Parsers. 'json' is untrusted: sizes are bounded (WO_MANIFEST_MAX,
 * WO_CONFIG_MAX), duplicate keys, wrong types, bad digests and unexpected
 * media types are WA_EMALFORMED naming the field ("layers[2].digest").
 * 'media_type' is what the descriptor or HTTP response said the document
 * is (NULL when unknown); it must agree with the document's own field.
 * 'what' names the document in errors. Results are allocated in 'a'.
 */
int wo_index_parse(const uint8_t *json, size_t len, const char *media_type,
                   const char *what, wa_arena *a, wo_index *out,
                   wa_err *err) WA_MUST_CHECK;
int wo_manifest_parse(const uint8_t *json, size_t len, const char *media_type,
                      const char *what, wa_arena *a, wo_manifest *out,
                      wa_err *err) WA_MUST_CHECK;
int wo_config_parse(const uint8_t *json, size_t len, const char *media_type,
                    const char *what, wa_arena *a, wo_config *out,
                    wa_err *err) WA_MUST_CHECK;
/* Decides whether a document is an index or a manifest: by media_type when
 * given, else by its "mediaType" field, else by its shape. Sets *out_role to
 * WO_ROLE_INDEX or WO_ROLE_MANIFEST. */
int wo_doc_role(const uint8_t *json, size_t len, const char *media_type,
                const char *what, wo_role *out_role, wa_err *err) WA_MUST_CHECK;

/*
 * Picks the manifest of 'idx' to run. want == NULL selects a Wasm platform
 * (wasip1/wasm, wasip1/wasm32, wasi/wasm, wasi/wasm32, in that order); else
 * os and arch must equal want's and, when want has one, the variant too.
 * WA_ENOTFOUND lists the platforms the index offers.
 */
int wo_platform_select(const wo_index *idx, const wo_platform *want,
                       const char *what, const wo_desc **out,
                       wa_err *err) WA_MUST_CHECK;

/* ----------------------------------------------------------------- blobs */

/* Directories holding blobs as files named by their hex digest, searched in
 * order (an OCI layout's blobs/sha256, the store's incoming area). */
typedef struct wo_blobs {
  int fd[3];
  size_t n;
} wo_blobs;

/*
 * Opens the blob 'd' and checks its size and sha256 before returning a
 * read-only fd positioned at 0 (caller closes). A missing blob is
 * WA_ENOTFOUND; wrong size or content is WA_EDIGEST naming the digest and
 * 'origin' (where the blob came from). The only way wasmaot reads a blob.
 */
int wo_blob_open(const wo_blobs *b, const wo_desc *d, const char *origin,
                 int *out_fd, wa_err *err) WA_MUST_CHECK;
/* wo_blob_open, then the whole blob into memory (wa_malloc'd); blobs over
 * 'max' bytes are WA_ELIMIT. */
int wo_blob_read(const wo_blobs *b, const wo_desc *d, size_t max,
                 const char *origin, uint8_t **out, size_t *out_len,
                 wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------ unpacking */

typedef struct wo_limits {
  uint64_t max_total;   /* bytes written by one unpack, all layers */
  uint64_t max_entry;   /* bytes of one file */
  uint64_t max_entries; /* entries of one unpack */
} wo_limits;

/* 8 GiB total, 2 GiB per file, 1M entries. */
void wo_limits_default(wo_limits *l);

typedef enum wo_tar_mode {
  WO_TAR_LAYER, /* image layer: whiteouts, symlinks, hardlinks allowed */
  WO_TAR_LAYOUT /* oci-archive: directories and regular files only */
} wo_tar_mode;

/*
 * Applies one tar stream (plain, gzip or zstd: detected) beneath the
 * directory 'root_fd'. Entries are created with openat-style calls that
 * cannot leave the root; '..' components, absolute paths, links whose target
 * leaves the root, device nodes, fifos and sockets are refused (WA_EESCAPE,
 * WA_EUNSUPPORTED). In layer mode '.wh.NAME' removes NAME of lower layers
 * and '.wh..wh..opq' empties its directory first. 'used' accumulates bytes
 * and entries against 'lim' (WA_ELIMIT). When out_diff_id is not NULL it
 * receives the sha256 of the uncompressed tar. On error the root holds a
 * partial result: callers unpack into a temp dir (wo_rootfs_unpack does).
 */
int wo_tar_apply(int root_fd, int tar_fd, const char *what, wo_tar_mode mode,
                 const wo_limits *lim, uint64_t used[2],
                 uint8_t out_diff_id[32], wa_err *err) WA_MUST_CHECK;

/*
 * Unpacks the layers of 'm' (from 'blobs', verified) in order into the new
 * directory 'target', which must not exist: into a temp dir beside it, then
 * rename. Checks each layer's uncompressed digest against c->diff_ids when
 * the config lists them. On failure nothing is left at 'target' or beside it.
 */
int wo_rootfs_unpack(const wo_blobs *blobs, const wo_manifest *m,
                     const wo_config *c, const char *target,
                     const wo_limits *lim, wa_err *err) WA_MUST_CHECK;

/* Removes a directory tree without following symlinks; missing is fine. */
int wo_rmtree(const char *path, wa_err *err) WA_MUST_CHECK;

/* -------------------------------------------------------- finding module */

typedef enum wo_image_kind {
  WO_IMAGE_ARTIFACT, /* module in an application/wasm layer */
  WO_IMAGE_ROOTFS    /* module is a file of the rootfs, named by Entrypoint */
} wo_image_kind;

/* Module bytes and the config fields the launcher maps to WASI. */
typedef struct wo_module {
  wo_image_kind kind;
  uint8_t *bytes; /* wa_malloc'd */
  size_t len;
  char digest[WO_DIGEST_MAX]; /* sha256 of bytes */
  char path[1024];            /* rootfs path of the module, "" for artifacts */
  wo_config config;           /* strings in the arena given to wo_find */
} wo_module;

/*
 * Finds the module of the image 'm' with config 'c'. Artifacts (Wasm config
 * or a Wasm layer type) must have exactly one Wasm layer. Rootfs images are
 * unpacked below 'scratch_dir' (removed again) and Entrypoint[0], else
 * Cmd[0], is resolved inside the rootfs (relative names via WorkingDir, bare
 * names via PATH from Env); the file must start with "\0asm". The module is
 * bounded by lim->max_entry. 'a' holds the copied config strings.
 */
int wo_find_module(const wo_blobs *blobs, const wo_manifest *m,
                   const wo_config *c, const char *scratch_dir,
                   const wo_limits *lim, wa_arena *a, wo_module *out,
                   wa_err *err) WA_MUST_CHECK;
void wo_module_clear(wo_module *m);

/* ---------------------------------------------------------------- layouts */

/* An OCI image layout directory (oci-layout, index.json, blobs/sha256). */
typedef struct wo_layout wo_layout;

/* Opens an existing layout (checks oci-layout and index.json). */
int wo_layout_open(const char *dir, wo_layout **out, wa_err *err) WA_MUST_CHECK;
/* Creates dir (and parents) as an empty layout, or opens it if it is one. */
int wo_layout_create(const char *dir, wo_layout **out,
                     wa_err *err) WA_MUST_CHECK;
void wo_layout_free(wo_layout *l);
const wo_blobs *wo_layout_blobs(const wo_layout *l);
const char *wo_layout_dir(const wo_layout *l);

/* The descriptor index.json lists for 'tag' (or the only one when tag is
 * NULL or "") or for 'digest'; strings in 'a'. WA_ENOTFOUND lists tags. */
int wo_layout_resolve(wo_layout *l, const char *tag, const char *digest,
                      wa_arena *a, wo_desc *out, wa_err *err) WA_MUST_CHECK;

/* Stores bytes as a blob (atomically); fills out->digest and out->size and
 * sets out->media_type = media_type (borrowed). */
int wo_layout_put_blob(wo_layout *l, const void *data, size_t len,
                       const char *media_type, wo_desc *out,
                       wa_err *err) WA_MUST_CHECK;
/* Adds or replaces the index.json entry named 'tag' (ref.name annotation;
 * NULL adds an untagged entry). */
int wo_layout_tag(wo_layout *l, const wo_desc *d, const char *tag,
                  wa_err *err) WA_MUST_CHECK;

/* Image building (tests, and `warm --push` later). */
typedef enum wo_compression {
  WO_COMPRESS_NONE,
  WO_COMPRESS_GZIP,
  WO_COMPRESS_ZSTD
} wo_compression;

typedef enum wo_entry_type {
  WO_ENTRY_FILE,
  WO_ENTRY_DIR,
  WO_ENTRY_SYMLINK, /* target in 'link' */
  WO_ENTRY_HARDLINK /* target in 'link' */
} wo_entry_type;

typedef struct wo_entry {
  wo_entry_type type;
  const char *path; /* as written in the tar */
  const void *data; /* files */
  size_t len;
  unsigned mode; /* 0: 0644 files, 0755 dirs */
  const char *link;
} wo_entry;

/* Writes a tar layer of 'entries', compressed, as a blob. out_diff_id gets
 * the digest of the uncompressed tar. */
int wo_layout_put_layer(wo_layout *l, const wo_entry *entries, size_t n,
                        wo_compression comp, wo_desc *out,
                        char out_diff_id[WO_DIGEST_MAX],
                        wa_err *err) WA_MUST_CHECK;

typedef struct wo_image_spec {
  wo_platform platform;
  const char *const *entrypoint; /* NULL-terminated, or NULL */
  const char *const *cmd;
  const char *const *env;
  const char *working_dir;
} wo_image_spec;

/* Writes config and manifest for a rootfs image with these layers. */
int wo_layout_put_image(wo_layout *l, const wo_image_spec *spec,
                        const wo_desc *layers, const char *const *diff_ids,
                        size_t n_layers, wo_desc *out_manifest,
                        wa_err *err) WA_MUST_CHECK;
/* Writes a Wasm OCI artifact (wasm config v0, one application/wasm layer). */
int wo_layout_put_artifact(wo_layout *l, const void *wasm, size_t len,
                           const wo_platform *p, wo_desc *out_manifest,
                           wa_err *err) WA_MUST_CHECK;
/* Writes an image index of manifests, each with its platform. */
int wo_layout_put_index(wo_layout *l, const wo_desc *manifests, size_t n,
                        wo_desc *out_index, wa_err *err) WA_MUST_CHECK;

/* Writes the layout directory 'dir' as a tar (an oci-archive), atomically. */
int wo_archive_write(const char *dir, const char *archive_path,
                     wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------ native artifacts */

/*
 * Precompiled native artifacts carried with an image (docs/precompile.md):
 * an OCI 1.1 referrer manifest whose "subject" is the image manifest, with
 * artifactType WO_NATIVE_ARTIFACT_TYPE, an empty config and per target one
 * zstd-compressed artifact layer plus, when signed, one signature layer.
 * In a layout the image is tagged in index.json and the referrer is listed
 * beside it untagged (as image-spec 1.1 allows), so the image's own
 * manifest, config and layers are unchanged. Everything
 * read here is untrusted: the annotations only select candidates, and the
 * launcher verifies the signature over what it computes itself.
 */
#define WO_NATIVE_ARTIFACT_TYPE "application/vnd.wasmaot.native.v1"
#define WO_NATIVE_MT_ARTIFACT "application/vnd.wasmaot.native.artifact.v1+zstd"
#define WO_NATIVE_MT_SIGNATURE                                                 \
  "application/vnd.wasmaot.native.signature.v1+json"
#define WO_NATIVE_ANN_TARGET "dev.wasmaot.native.target"
#define WO_NATIVE_ANN_MODULE "dev.wasmaot.native.module-digest"
#define WO_NATIVE_ANN_FORMAT "dev.wasmaot.native.format-version"
#define WO_NATIVE_ANN_KEY "dev.wasmaot.native.config-key"
#define WO_NATIVE_ANN_ARTIFACT "dev.wasmaot.native.artifact-digest"
#define WO_NATIVE_ANN_CPU "dev.wasmaot.native.cpu"
#define WO_NATIVE_MAX (1u << 30) /* largest artifact accepted, uncompressed */

/* What an artifact layer says about itself (and a signature layer repeats
 * config_key to pair with it). */
typedef struct wo_native_meta {
  char target[128];
  char module_digest[WO_DIGEST_MAX];
  uint32_t format_version;
  char config_key[65];                 /* cache key, hex */
  char artifact_digest[WO_DIGEST_MAX]; /* sha256 of the uncompressed bytes */
  char cpu[64];                        /* informational */
} wo_native_meta;

/* A detached Ed25519 signature as the signature layer stores it. */
typedef struct wo_native_sig {
  uint8_t key_id[32];
  uint8_t sig[64];
} wo_native_sig;

/* One target's artifact to attach. */
typedef struct wo_native_item {
  wo_native_meta meta;
  const uint8_t *artifact; /* uncompressed .wao bytes */
  size_t len;
  const wo_native_sig *sig; /* NULL: unsigned */
} wo_native_item;

/* Writes the referrer manifest for 'subject' (an image manifest) with
 * 'items' and its blobs into 'dest', without listing it in index.json (a
 * push sends it from there). out gets its descriptor (artifact_type set). */
int wo_native_put_referrer(wo_layout *dest, const wo_desc *subject,
                           const wo_native_item *items, size_t n, wo_desc *out,
                           wa_err *err) WA_MUST_CHECK;
/*
 * Writes a new image into 'dest': the manifest 'manifest_digest' of the
 * layout at 'src_dir' (e.g. the image store) with its config and layers,
 * copied byte for byte (verified), tagged 'tag' (NULL: "latest") with
 * platform 'p', and beside it, untagged, a referrer manifest carrying
 * 'items'. out_manifest (may be NULL) gets the referrer's descriptor.
 */
int wo_native_write_image(const char *src_dir, const char *manifest_digest,
                          const wo_platform *p, const wo_native_item *items,
                          size_t n, wo_layout *dest, const char *tag,
                          wo_desc *out_manifest, wa_err *err) WA_MUST_CHECK;

/* A native artifact found for an image. */
typedef struct wo_native_entry {
  wo_native_meta meta; /* from annotations: untrusted */
  wo_desc artifact;
  bool has_sig;
  wo_desc sig;
} wo_native_entry;

typedef struct wo_native_set {
  wo_native_entry *v; /* in the arena */
  size_t n;
} wo_native_set;

/* Parses a referrer manifest (bytes verified by the caller) and appends its
 * artifacts to 'out' when its artifactType is ours and its subject is
 * 'subject_digest'; other manifests add nothing. Malformed annotations are
 * WA_EMALFORMED naming the layer. */
int wo_native_parse(const uint8_t *json, size_t len, const char *subject_digest,
                    const char *what, wa_arena *a, wo_native_set *out,
                    wa_err *err) WA_MUST_CHECK;

/* Where attachments are read from: an image layout, or an oci-archive
 * unpacked into a scratch dir (removed by close). */
typedef struct wo_native_src wo_native_src;
/* Opens the layout or archive 'ref' names (registry refs: WA_EUNSUPPORTED).
 * Archives are unpacked below 'scratch_dir'. */
int wo_native_src_open(const wo_ref *ref, const char *scratch_dir,
                       const wo_limits *lim, wo_native_src **out,
                       wa_err *err) WA_MUST_CHECK;
/* Opens an existing layout (e.g. one a registry fetch filled). */
int wo_native_src_open_layout(const char *dir, wo_native_src **out,
                              wa_err *err) WA_MUST_CHECK;
void wo_native_src_close(wo_native_src *s); /* accepts NULL */
/* The attachments for manifest 'subject_digest' listed in the layout's
 * index.json or in the image index the reference names. */
int wo_native_find(wo_native_src *s, const wo_ref *ref,
                   const char *subject_digest, wa_arena *a, wo_native_set *out,
                   wa_err *err) WA_MUST_CHECK;
/* Adds the attachments of the referrer manifest 'd' stored in the layout. */
int wo_native_find_referrer(wo_native_src *s, const wo_desc *d,
                            const char *subject_digest, wa_arena *a,
                            wo_native_set *out, wa_err *err) WA_MUST_CHECK;
/* The artifact's bytes (blob verified, decompressed, at most WO_NATIVE_MAX;
 * wa_malloc'd). A bad blob or stream is WA_EDIGEST / WA_ECORRUPT. */
int wo_native_read_artifact(wo_native_src *s, const wo_native_entry *e,
                            uint8_t **out, size_t *out_len,
                            wa_err *err) WA_MUST_CHECK;
/* The entry's signature (WA_ENOTFOUND when unsigned). */
int wo_native_read_sig(wo_native_src *s, const wo_native_entry *e,
                       wo_native_sig *out, wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------------- registries */

/* Called as bytes arrive: done and total over all blobs of one pull. */
typedef void (*wo_progress_fn)(void *ud, uint64_t done, uint64_t total);

typedef struct wo_pull_opts {
  const char *platform; /* "os/arch[/variant]", NULL: a Wasm platform */
  bool plain_http;      /* http:// instead of https:// */
  bool tls_no_verify;   /* accept any TLS certificate */
  const char *username; /* with password; NULL: docker config.json */
  const char *password;
  const char *docker_config; /* NULL: $DOCKER_CONFIG/config.json, else
                                ~/.docker/config.json */
  int max_parallel;          /* concurrent blob downloads, 0: 4 */
  uint64_t max_blob;         /* largest accepted blob, 0: 4 GiB */
  wo_limits limits;          /* unpacking; zero: wo_limits_default */
  wo_progress_fn progress;
  void *progress_ud;
} wo_pull_opts;

/* ---------------------------------------------------------------- store */

/* Default roots. WO_STORE_SYSTEM_ROOT is for the shim. */
#define WO_STORE_SYSTEM_ROOT "/var/lib/wasmaot/images"
/* $WASMAOT_STORE_DIR, else $XDG_DATA_HOME/wasmaot/images (when absolute),
 * else $HOME/.local/share/wasmaot/images (HOME from the password database
 * when unset). */
int wo_store_default_root(char *buf, size_t n, wa_err *err) WA_MUST_CHECK;

typedef struct wo_store wo_store;

/* Opens (creating if needed) the store at root. The store is an OCI image
 * layout plus incoming/ (verified or partial downloads) and lock files, so
 * several processes (CLI, shim) can share it. */
int wo_store_open(const char *root, wo_store **out, wa_err *err) WA_MUST_CHECK;
void wo_store_free(wo_store *s);
const char *wo_store_root(const wo_store *s);

typedef struct wo_image_info {
  char name[1024];                     /* canonical reference */
  char digest[WO_DIGEST_MAX];          /* top-level index or manifest */
  char manifest_digest[WO_DIGEST_MAX]; /* the selected platform manifest */
  char module_digest[WO_DIGEST_MAX];
  wo_platform platform;
  wo_image_kind kind;
  uint64_t module_size;
  uint64_t size;     /* manifest + config + layers */
  int64_t pulled_at; /* unix seconds */
} wo_image_info;

/*
 * Pulls 'ref' (registry, oci: or oci-archive:) into the store: resolves the
 * platform, downloads or copies manifest, config and layers, verifying every
 * digest, finds the module, then publishes blobs and finally the ref. A
 * failure publishes nothing (interrupted downloads stay in incoming/ and are
 * resumed with a Range request next time).
 */
int wo_store_pull(wo_store *s, const char *ref, const wo_pull_opts *opts,
                  wo_image_info *out, wa_err *err) WA_MUST_CHECK;

/* All stored images, sorted by name (wa_malloc'd array). */
int wo_store_list(wo_store *s, wo_image_info **out, size_t *out_n,
                  wa_err *err) WA_MUST_CHECK;

/* Removes the images named 'ref_or_digest' (a reference, a full digest or a
 * unique hex prefix of at least 12 digits of an image digest), then collects
 * blobs no image references (wo_store_gc). The out counts may be NULL:
 * removed names, deleted blobs, their bytes. WA_ENOTFOUND when nothing
 * matches. */
int wo_store_remove(wo_store *s, const char *ref_or_digest, size_t *out_removed,
                    uint64_t *out_blobs, uint64_t *out_bytes,
                    wa_err *err) WA_MUST_CHECK;

/* Deletes blobs no image references and stale incoming files. */
int wo_store_gc(wo_store *s, uint64_t *out_blobs, uint64_t *out_bytes,
                wa_err *err) WA_MUST_CHECK;

/* Opens a stored image: its info, module bytes (verified) and config.
 * The config strings live in 'a'. */
int wo_store_image_open(wo_store *s, const char *ref_or_digest, wa_arena *a,
                        wo_image_info *out_info, wo_module *out_module,
                        wa_err *err) WA_MUST_CHECK;

/* wo_store_image_open, and for a rootfs image also unpacks its layers
 * (verified, safely, as wo_rootfs_unpack) into 'rootfs', a directory that
 * must not exist yet: what `wasmaot run IMAGE` preopens as '/'. Artifact
 * images leave 'rootfs' alone. */
int wo_store_image_open_rootfs(wo_store *s, const char *query, wa_arena *a,
                               const char *rootfs, wo_image_info *out_info,
                               wo_module *out_module,
                               wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------- push and referrers */

/* The tag schema of the referrers fallback (OCI distribution 1.1): the index
 * of the referrers of sha256:<hex> is tagged "sha256-<hex>". */
#define WO_REFERRERS_TAG_PREFIX "sha256-"

/* Pushes 'manifest' (an image manifest or index stored in layout l) and every
 * blob it references (config, layers, and for an index its manifests
 * recursively) to the repository of 'ref'. Blobs the registry already has
 * (HEAD) are skipped; uploads use POST + PUT (monolithic, or chunked PATCH
 * for big blobs). tag NULL: push by digest only. When the manifest has a
 * "subject" and the registry does not answer with an OCI-Subject header (no
 * referrers API), the referrers fallback tag index "sha256-<hex of subject>"
 * is created or updated (read-modify-write, keeping other entries). */
int wo_registry_push(const wo_ref *ref, wo_layout *l, const wo_desc *manifest,
                     const char *tag, const wo_pull_opts *o,
                     wa_err *err) WA_MUST_CHECK;
/* The referrers of subject_digest in ref's repository, filtered by
 * artifact_type (NULL: all): GET /v2/<name>/referrers/<digest>
 * [?artifactType=]; on 404 (API missing) the fallback tag index; no referrers
 * is an empty index, not an error. Strings live in 'a'. */
int wo_registry_referrers(const wo_ref *ref, const char *subject_digest,
                          const char *artifact_type, const wo_pull_opts *o,
                          wa_arena *a, wo_index *out,
                          wa_err *err) WA_MUST_CHECK;
/* Fetches the manifest 'digest' of ref's repository and all its blobs into
 * layout l, each verified (size+sha256) before it is stored. */
int wo_registry_fetch(const wo_ref *ref, const char *digest, wo_layout *l,
                      const wo_pull_opts *o, wa_err *err) WA_MUST_CHECK;

#endif
