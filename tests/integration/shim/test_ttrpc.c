/*
 * test_ttrpc.c: the shim's ttrpc framing and server (launcher/shim/
 * ttrpc.c): byte-exact frames from containerd's wire, concurrent requests
 * answered out of order, and the protocol's error answers.
 */
#include "shim_internal.h"

#include "task.pb-c.h"
#include "ttrpc.pb-c.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Worked bytes observed on the wire (guide §2.5): Connect{id:"t1"} as
 * stream 3 from containerd 1.6.20. */
static const uint8_t connect_frame[] = {
    0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x0a, 0x17, 'c',
    'o',  'n',  't',  'a',  'i',  'n',  'e',  'r',  'd',  '.',  't',  'a',  's',
    'k',  '.',  'v',  '2',  '.',  'T',  'a',  's',  'k',  0x12, 0x07, 'C',  'o',
    'n',  'n',  'e',  'c',  't',  0x1a, 0x04, 0x0a, 0x02, 't',  '1'};

Test(shim_ttrpc, header_is_ten_big_endian_bytes) {
  uint8_t b[WL_TTRPC_HDR];
  wl__frame_hdr h = {0x01020304, 0x0a0b0c0d, WL_TTRPC_RESPONSE, 0x05};
  wl__ttrpc_hdr_encode(&h, b);
  const uint8_t want[] = {1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 5};
  cr_assert_arr_eq(b, want, sizeof want);
  wl__frame_hdr back;
  wl__ttrpc_hdr_decode(b, &back);
  cr_assert_eq(back.len, h.len);
  cr_assert_eq(back.sid, h.sid);
  cr_assert_eq(back.type, h.type);
  cr_assert_eq(back.flags, h.flags);
}

Test(shim_ttrpc, request_frame_matches_containerd_bytes) {
  Wlpb__ConnectRequest cr = WLPB__CONNECT_REQUEST__INIT;
  cr.id = (char *)"t1";
  uint8_t *payload;
  size_t n;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__pack(&cr.base, &payload, &n, &err), 0, "%s", err.msg);
  wa_buf frame;
  wa_buf_init(&frame);
  cr_assert_eq(wl__ttrpc_request_frame(3, "containerd.task.v2.Task", "Connect",
                                       payload, n, 0, &frame, &err),
               0, "%s", err.msg);
  cr_assert_eq(frame.len, sizeof connect_frame);
  cr_assert_arr_eq(frame.data, connect_frame, sizeof connect_frame);
  wa_free(payload);
  wa_buf_free(&frame);
}

Test(shim_ttrpc, wait_response_always_carries_exited_at) {
  /* containerd's exited_at is non-nullable: a zero time is still sent. */
  Wlpb__WaitResponse w = WLPB__WAIT_RESPONSE__INIT;
  Wlpb__Timestamp ts = WLPB__TIMESTAMP__INIT;
  w.exited_at = &ts;
  uint8_t *p;
  size_t n;
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__pack(&w.base, &p, &n, &err), 0);
  const uint8_t want[] = {0x12, 0x00};
  cr_assert_eq(n, 2);
  cr_assert_arr_eq(p, want, 2);
  wa_free(p);
}

/* ------------------------------------------------------- server */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

/* "Block" waits for the gate (like Wait); "Echo" returns its payload;
 * "Open" opens the gate; anything else is unimplemented. */
static void handler(void *ud, const char *service, const char *method,
                    const uint8_t *payload, size_t len, wl__reply *out) {
  if (strcmp(method, "Block") == 0) {
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
      pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
  } else if (strcmp(method, "Open") == 0) {
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
  } else if (strcmp(method, "Echo") != 0) {
    wl__reply_err(out, WL_GRPC_UNIMPLEMENTED, "method %s", method);
    return;
  }
  out->payload = wa_malloc(len + 1);
  if (len)
    memcpy(out->payload, payload, len);
  out->len = len;
}

static int serve_pair(void) {
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__ttrpc_serve(sv[1], handler, NULL, &err), 0, "%s", err.msg);
  return sv[0];
}

static void send_req(int fd, uint32_t sid, const char *method,
                     const char *payload) {
  wa_buf f;
  wa_buf_init(&f);
  wa_err err;
  wa_err_init(&err);
  cr_assert_eq(wl__ttrpc_request_frame(sid, "svc", method,
                                       (const uint8_t *)payload,
                                       strlen(payload), 0, &f, &err),
               0);
  cr_assert_eq(wl__write_full(fd, f.data, f.len), 0);
  wa_buf_free(&f);
}

static Wlpb__Response *read_resp(int fd, uint32_t *sid) {
  uint8_t hdr[WL_TTRPC_HDR];
  cr_assert_eq(wl__read_full(fd, hdr, sizeof hdr), 0);
  wl__frame_hdr h;
  wl__ttrpc_hdr_decode(hdr, &h);
  cr_assert_eq(h.type, WL_TTRPC_RESPONSE);
  uint8_t *data = wa_malloc(h.len + 1);
  cr_assert_eq(wl__read_full(fd, data, h.len), 0);
  Wlpb__Response *r = wlpb__response__unpack(NULL, h.len, data);
  wa_free(data);
  cr_assert_not_null(r);
  *sid = h.sid;
  return r;
}

Test(shim_ttrpc, pending_request_does_not_block_later_ones) {
  int fd = serve_pair();
  gate_open = false;
  send_req(fd, 1, "Block", "first");
  send_req(fd, 3, "Echo", "second");
  uint32_t sid;
  Wlpb__Response *r = read_resp(fd, &sid);
  cr_assert_eq(sid, 3, "the blocked stream 1 must not hold stream 3");
  cr_assert_eq(r->payload.len, 6);
  cr_assert_eq(memcmp(r->payload.data, "second", 6), 0);
  wlpb__response__free_unpacked(r, NULL);
  send_req(fd, 5, "Open", "");
  uint32_t seen = 0;
  for (int i = 0; i < 2; i++) {
    r = read_resp(fd, &sid);
    seen |= 1u << sid;
    if (sid == 1)
      cr_assert_eq(memcmp(r->payload.data, "first", 5), 0);
    wlpb__response__free_unpacked(r, NULL);
  }
  cr_assert_eq(seen, (1u << 1) | (1u << 5));
  close(fd);
}

Test(shim_ttrpc, errors_follow_the_protocol) {
  int fd = serve_pair();
  uint32_t sid;
  /* Even stream ids are refused but answered on that stream. */
  send_req(fd, 2, "Echo", "x");
  Wlpb__Response *r = read_resp(fd, &sid);
  cr_assert_eq(sid, 2);
  cr_assert_eq(r->status->code, WL_GRPC_INVALID_ARGUMENT);
  cr_assert_str_eq(r->status->message,
                   "StreamID must be odd for client initiated streams");
  wlpb__response__free_unpacked(r, NULL);
  /* Unknown methods are the handler's to refuse. */
  send_req(fd, 7, "Nope", "");
  r = read_resp(fd, &sid);
  cr_assert_eq(r->status->code, WL_GRPC_UNIMPLEMENTED);
  cr_assert_str_eq(r->status->message, "method Nope");
  wlpb__response__free_unpacked(r, NULL);
  /* Bytes that are not a Request. */
  uint8_t bad[WL_TTRPC_HDR + 2];
  wl__frame_hdr h = {2, 9, WL_TTRPC_REQUEST, 0};
  wl__ttrpc_hdr_encode(&h, bad);
  bad[WL_TTRPC_HDR] = 0x0a;
  bad[WL_TTRPC_HDR + 1] = 0x7f; /* a string longer than the message */
  cr_assert_eq(wl__write_full(fd, bad, sizeof bad), 0);
  r = read_resp(fd, &sid);
  cr_assert_eq(sid, 9);
  cr_assert_eq(r->status->code, WL_GRPC_INVALID_ARGUMENT);
  wlpb__response__free_unpacked(r, NULL);
  /* A frame over 4 MiB is skipped and refused; the stream stays usable. */
  size_t big = WL_TTRPC_MAX + 1;
  uint8_t *b = calloc(1, WL_TTRPC_HDR + big);
  h = (wl__frame_hdr){(uint32_t)big, 11, WL_TTRPC_REQUEST, 0};
  wl__ttrpc_hdr_encode(&h, b);
  cr_assert_eq(wl__write_full(fd, b, WL_TTRPC_HDR + big), 0);
  free(b);
  r = read_resp(fd, &sid);
  cr_assert_eq(sid, 11);
  cr_assert_eq(r->status->code, WL_GRPC_RESOURCE_EXHAUSTED);
  wlpb__response__free_unpacked(r, NULL);
  /* Frames of other types are ignored. */
  h = (wl__frame_hdr){0, 13, 0x03, 0};
  uint8_t data_frame[WL_TTRPC_HDR];
  wl__ttrpc_hdr_encode(&h, data_frame);
  cr_assert_eq(wl__write_full(fd, data_frame, sizeof data_frame), 0);
  send_req(fd, 15, "Echo", "ok");
  r = read_resp(fd, &sid);
  cr_assert_eq(sid, 15);
  cr_assert_eq(r->status->code, 0);
  wlpb__response__free_unpacked(r, NULL);
  close(fd);
}

Test(shim_ttrpc, client_call_reads_its_own_stream) {
  int fd = serve_pair();
  wl__reply r;
  wa_err err;
  wa_err_init(&err);
  gate_open = true;
  cr_assert_eq(wl__ttrpc_call(fd, 21, "svc", "Echo", (const uint8_t *)"abc", 3,
                              2000, &r, &err),
               0, "%s", err.msg);
  cr_assert_eq(r.code, 0);
  cr_assert_eq(r.len, 3);
  cr_assert_eq(memcmp(r.payload, "abc", 3), 0);
  wl__reply_free(&r);
  cr_assert_eq(wl__ttrpc_call(fd, 23, "svc", "Nope", NULL, 0, 2000, &r, &err),
               0, "%s", err.msg);
  cr_assert_eq(r.code, WL_GRPC_UNIMPLEMENTED);
  cr_assert_str_eq(r.msg, "method Nope");
  wl__reply_free(&r);
  close(fd);
}

Test(shim_ttrpc, client_call_times_out_without_a_reply) {
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  wl__reply r;
  wa_err err;
  wa_err_init(&err);
  cr_assert_neq(wl__ttrpc_call(sv[0], 1, "svc", "Echo", NULL, 0, 100, &r, &err),
                0);
  cr_assert(strstr(err.msg, "waiting for the Echo reply"), "%s", err.msg);
  close(sv[0]);
  close(sv[1]);
}
