/*
 * internal.h: shared by the files of oci/ (prefix wo__). Media type table,
 * JSON helpers, path resolution beneath a root, blob sinks and the registry
 * client used by the store's pull.
 */
#ifndef WO_INTERNAL_H
#define WO_INTERNAL_H

#include "wo.h"

#include <jansson.h>
#include <stdio.h>

/* Media types: name, string, role. */
#define WO_MEDIA_MAP(X)                                                        \
  X(OCI_INDEX, "application/vnd.oci.image.index.v1+json", INDEX)               \
  X(DOCKER_LIST, "application/vnd.docker.distribution.manifest.list.v2+json",  \
    INDEX)                                                                     \
  X(OCI_MANIFEST, "application/vnd.oci.image.manifest.v1+json", MANIFEST)      \
  X(DOCKER_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json",   \
    MANIFEST)                                                                  \
  X(OCI_CONFIG, "application/vnd.oci.image.config.v1+json", CONFIG)            \
  X(DOCKER_CONFIG, "application/vnd.docker.container.image.v1+json", CONFIG)   \
  X(WASM_CONFIG_V0, "application/vnd.wasm.config.v0+json", WASM_CONFIG)        \
  X(WASM_CONFIG_V1, "application/vnd.wasm.config.v1+json", WASM_CONFIG)        \
  X(OCI_LAYER_TAR, "application/vnd.oci.image.layer.v1.tar", LAYER)            \
  X(OCI_LAYER_GZIP, "application/vnd.oci.image.layer.v1.tar+gzip", LAYER)      \
  X(OCI_LAYER_ZSTD, "application/vnd.oci.image.layer.v1.tar+zstd", LAYER)      \
  X(OCI_ND_TAR, "application/vnd.oci.image.layer.nondistributable.v1.tar",     \
    LAYER)                                                                     \
  X(OCI_ND_GZIP,                                                               \
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER)     \
  X(OCI_ND_ZSTD,                                                               \
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LAYER)     \
  X(DOCKER_LAYER, "application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER)  \
  X(DOCKER_FOREIGN,                                                            \
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LAYER)        \
  X(WASM_LAYER, "application/wasm", WASM_LAYER)                                \
  X(WASM_LAYER_V1, "application/vnd.wasm.content.layer.v1+wasm", WASM_LAYER)   \
  X(WASM_COMPONENT,                                                            \
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",           \
    WASM_LAYER)

enum {
#define WO__X(name, str, role) WO_MT_##name,
  WO_MEDIA_MAP(WO__X)
#undef WO__X
      WO_MT_COUNT
};
extern const char *const wo__media_types[WO_MT_COUNT];

/* Annotations. */
#define WO_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define WO_ANN_IMAGE_NAME "io.containerd.image.name"

/* ---------------------------------------------------------------- json */

/* Parses untrusted JSON (duplicate keys rejected, size bounded by max). */
int wo__json_load(const uint8_t *data, size_t len, size_t max, const char *what,
                  json_t **out, wa_err *err) WA_MUST_CHECK;
/* Optional string member: absent or null gives NULL; another type fails
 * naming "prefix.key". The string is copied into 'a'. */
int wo__json_str(json_t *obj, const char *key, const char *prefix,
                 const char *what, wa_arena *a, const char **out,
                 wa_err *err) WA_MUST_CHECK;
/* Parses one descriptor object; 'field' names it ("manifests[3]"). */
int wo__desc_parse(json_t *obj, const char *field, const char *what,
                   wa_arena *a, wo_desc *out, wa_err *err) WA_MUST_CHECK;
/* Serializes a descriptor (with platform and annotations when set). */
json_t *wo__desc_json(const wo_desc *d);
/* json_dumpb into a wa_malloc'd buffer. */
int wo__json_dump(json_t *j, uint8_t **out, size_t *out_len,
                  wa_err *err) WA_MUST_CHECK;
/* build.c: serializes j and stores it as a blob of media type mt in l;
 * consumes j (NULL: out of memory). */
int wo__layout_put_json(wo_layout *l, json_t *j, const char *mt, wo_desc *out,
                        wa_err *err) WA_MUST_CHECK;

/* --------------------------------------------------------------- paths */

/* Splits a tar or rootfs path into clean components: "./a//b/" -> "a/b".
 * '..' components and (when !allow_abs) a leading '/' are WA_EESCAPE. An
 * empty result ("." or "/") is allowed. */
int wo__path_clean(const char *in, bool allow_abs, char *out, size_t n,
                   wa_err *err) WA_MUST_CHECK;

/* Opens the directory 'rel' (clean, relative) beneath root_fd, resolving
 * symlinks as if root_fd were '/' (openat2 RESOLVE_IN_ROOT). With 'create'
 * missing directories are made (0755). Returns an O_DIRECTORY fd. */
int wo__open_dir_in_root(int root_fd, const char *rel, bool create, int *out_fd,
                         wa_err *err) WA_MUST_CHECK;
/* Opens a file beneath root_fd with the same resolution rules. */
int wo__open_in_root(int root_fd, const char *rel, int flags, int *out_fd,
                     wa_err *err) WA_MUST_CHECK;
/* Removes 'name' in dir_fd, recursively for directories, never following
 * symlinks. ENOENT is success. */
int wo__rm_at(int dir_fd, const char *name, wa_err *err) WA_MUST_CHECK;
/* Empties the directory dir_fd (keeps it). */
int wo__empty_dir(int dir_fd, const char *what, wa_err *err) WA_MUST_CHECK;
/* wo_rmtree for cleanup paths, where a failure has nothing to add. */
void wo__rmtree_quiet(const char *path);
/* Writes all bytes to fd. */
int wo__write_all(int fd, const void *p, size_t n, const char *what,
                  wa_err *err) WA_MUST_CHECK;
/* fsyncs a directory fd; errors reported naming 'what'. */
int wo__fsync_dir(int dir_fd, const char *what, wa_err *err) WA_MUST_CHECK;

/* ---------------------------------------------------------------- blobs */

/* The one check: size and sha256 against the descriptor. WA_EDIGEST names
 * the digest and the origin. */
int wo__blob_check(const wo_desc *d, const uint8_t sha[32], uint64_t size,
                   const char *origin, wa_err *err) WA_MUST_CHECK;

/*
 * Writes a blob into dir_fd/<hex> while hashing it, resuming a partial file
 * of the same name: wo__sink_open takes an exclusive flock on the file (so
 * two pulls never write one blob at once) and hashes what is already there;
 * 'have' is its length (0 after a restart). wo__sink_finish checks the
 * digest; a mismatch deletes the file.
 */
typedef struct wo_sink {
  int fd;
  int dir_fd;
  const wo_desc *desc;
  const char *origin;
  wa_sha256 sha;
  uint64_t have;
  char name[72];
} wo_sink;
int wo__sink_open(wo_sink *s, int dir_fd, const wo_desc *d, const char *origin,
                  wa_err *err) WA_MUST_CHECK;
/* Drops what was written (server ignored a Range request). */
int wo__sink_restart(wo_sink *s, wa_err *err) WA_MUST_CHECK;
int wo__sink_write(wo_sink *s, const void *p, size_t n,
                   wa_err *err) WA_MUST_CHECK;
/* Verifies; on success the file stays as dir_fd/<hex>. Closes the fd. */
int wo__sink_finish(wo_sink *s, wa_err *err) WA_MUST_CHECK;
/* Closes without verifying, keeping the partial file for a resume. */
void wo__sink_abort(wo_sink *s, bool keep);

/* Copies a blob from 'src' (verified) into dir_fd/<hex> (verified). */
int wo__blob_copy(const wo_blobs *src, const wo_desc *d, const char *origin,
                  int dir_fd, wa_err *err) WA_MUST_CHECK;

/* ------------------------------------------------------------- registry */

typedef struct wo_registry wo_registry;

/* Credentials: explicit, else from a docker config.json for the domain. */
typedef struct wo_creds {
  char user[256];
  char pass[512];
  bool set;
} wo_creds;
int wo__creds_from_docker_config(const char *path, const char *domain,
                                 wo_creds *out, wa_err *err) WA_MUST_CHECK;
/* The docker config path opts name, or the default; "" when no home. */
void wo__docker_config_path(const wo_pull_opts *opts, char *buf, size_t n);

/* A parsed WWW-Authenticate challenge. */
typedef struct wo_challenge {
  enum { WO_AUTH_NONE, WO_AUTH_BASIC, WO_AUTH_BEARER } scheme;
  char realm[1024];
  char service[256];
  char scope[512];
} wo_challenge;
/* Parses a WWW-Authenticate header value; WA_EMALFORMED on bad syntax,
 * WA_EUNSUPPORTED for schemes other than Basic and Bearer. */
int wo__challenge_parse(const char *value, wo_challenge *out,
                        wa_err *err) WA_MUST_CHECK;

/* Standard base64 decode/encode for auth fields. */
int wo__base64_decode(const char *in, uint8_t *out, size_t cap,
                      size_t *out_len);
void wo__base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

int wo__registry_open(const wo_ref *ref, const wo_pull_opts *opts,
                      wo_registry **out, wa_err *err) WA_MUST_CHECK;
void wo__registry_free(wo_registry *r);

/* GETs a manifest or index by tag or digest (bounded by WO_MANIFEST_MAX).
 * out_media_type gets Content-Type; out_digest the sha256 of the body,
 * checked against Docker-Content-Digest when the server sent one. */
int wo__registry_manifest(wo_registry *r, const char *reference, uint8_t **out,
                          size_t *out_len, char out_media_type[128],
                          char out_digest[WO_DIGEST_MAX],
                          wa_err *err) WA_MUST_CHECK;

/* Downloads blobs into dir_fd/<hex> (resuming partial files, n in
 * parallel), verifying each. Blobs already complete are not requested. */
int wo__registry_blobs(wo_registry *r, const wo_desc *const *descs, size_t n,
                       int dir_fd, wa_err *err) WA_MUST_CHECK;

/* One request to the repository's API, for push and referrers. A 401 is
 * answered (Basic or a Bearer token for the scope the challenge names) and
 * the request sent again; any other status is returned in the response for
 * the caller to judge. url: absolute, host-relative ("/v2/..", as a Location
 * header may be), or relative to the repository ("blobs/uploads/"). Methods
 * other than GET and HEAD send the body (empty when body is NULL and
 * body_len 0), from memory or from body_fd at body_off. */
typedef struct wo_http {
  const char *method;
  const char *url;
  const char *accept;       /* a whole "Accept: .." line, or NULL */
  const char *content_type; /* of the body, or NULL */
  const char *content_range;
  const uint8_t *body;
  int body_fd;
  uint64_t body_off, body_len;
  size_t max_resp; /* response body bound, 0: 64 KiB */
} wo_http;
typedef struct wo_http_resp {
  long status;
  char content_type[128];
  char digest[WO_DIGEST_MAX + 8]; /* Docker-Content-Digest */
  char location[2048];
  char range[128];
  bool oci_subject; /* the registry processed a "subject" */
  uint8_t *body;    /* wa_malloc'd */
  size_t len;
} wo_http_resp;
int wo__registry_request(wo_registry *r, const wo_http *q, wo_http_resp *resp,
                         const char *doing, wa_err *err) WA_MUST_CHECK;
void wo__http_resp_free(wo_http_resp *resp);
/* The error for an unexpected status: 'doing', the status, and the
 * registry's error code and message; WA_ENOTFOUND for 404, WA_EPERM for
 * 401/403, else WA_ENETWORK. Returns the code. */
int wo__registry_status_error(const wo_http_resp *resp, const char *doing,
                              wa_err *err);
/* push.c: blobs larger than this are uploaded in PATCH chunks of this size
 * (tests lower it to exercise chunking). */
extern uint64_t wo__push_chunk;

/* "scheme://endpoint/v2/<repo>" and "domain/repo" (for messages). */
const char *wo__registry_url(const wo_registry *r);
const char *wo__registry_origin(const wo_registry *r);

/* ---------------------------------------------------------------- store */

/* Store files: ROOT/{oci-layout,index.json,blobs/sha256,incoming,tmp} plus
 * ROOT/lock (shared by pulls and opens, exclusive by gc) and
 * ROOT/index.lock (exclusive around index.json updates). */
struct wo_store {
  char root[4096];
  int root_fd, blobs_fd, incoming_fd;
};

int wo__store_lock(wo_store *s, const char *name, int op, int *out_fd,
                   wa_err *err) WA_MUST_CHECK;
void wo__store_unlock(int fd);

/* Moves verified incoming blobs into blobs/ and adds or replaces the
 * index.json entry for info->name, under index.lock. 'top' describes the
 * top-level document, 'manifest' the selected manifest; 'blobs' lists every
 * digest the image references. */
int wo__store_commit(wo_store *s, const wo_desc *top, const wo_desc *manifest,
                     const wo_image_info *info, const char *module_path,
                     const char *const *blobs, size_t n_blobs,
                     wa_err *err) WA_MUST_CHECK;
/* Whether blobs/<hex> exists with this size (verified on use). */
bool wo__store_has(wo_store *s, const wo_desc *d);

#endif
