/*
 * cmd_key.c: `wasmaot key generate [-o PREFIX]` and `wasmaot key id
 * FILE.pub`: the Ed25519 keys that sign cache exports (cache/trust.c). A
 * receiver trusts an export by copying the .pub file into its trusted-keys
 * directory; the id printed here is what import messages name.
 */
#include "internal.h"
#include "wk.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "key generate [-o PREFIX] | key id FILE.pub"

static const char help_text[] =
    "usage: wasmaot key generate [-o PREFIX]\n"
    "       wasmaot key id FILE.pub\n"
    "\n"
    "  generate   write an Ed25519 key pair: PREFIX.key (private, mode 0600)\n"
    "             and PREFIX.pub (default PREFIX: wasmaot-signing)\n"
    "  id         print a public key's id (sha256 of the key)\n"
    "\n"
    "Sign with 'wasmaot cache export --sign-key PREFIX.key FILE'; receivers\n"
    "put PREFIX.pub in their trusted-keys directory.\n";

static int generate(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *prefix = "wasmaot-signing";
  int ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (ch == 'o')
      prefix = optarg;
    else if (ch == 'h') {
      fputs(help_text, stdout);
      return WL_EXIT_OK;
    } else
      return wl_usage_error("key", "unknown option");
  }
  if (optind != argc)
    return wl_usage_error("key", "generate takes no arguments");
  wa_err err;
  wa_err_init(&err);
  wk_pubkey pub;
  if (wk_keypair_generate(prefix, &pub, &err) != 0) {
    wl_report_err("generating a key", &err);
    return WL_EXIT_FAIL;
  }
  char id[65];
  wk_pubkey_id_hex(&pub, id);
  printf("wrote %s.key and %s.pub\nkey id %s\n", prefix, prefix, id);
  return WL_EXIT_OK;
}

static int run(int argc, char **argv) {
  if (argc < 2)
    return wl_usage_error("key", "which command? (generate or id)");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(help_text, stdout);
    return WL_EXIT_OK;
  }
  if (strcmp(argv[1], "generate") == 0)
    return generate(argc - 1, argv + 1);
  if (strcmp(argv[1], "id") == 0) {
    if (argc != 3)
      return wl_usage_error("key", "id takes one FILE.pub");
    wa_err err;
    wa_err_init(&err);
    wk_pubkey pub;
    if (wk_pubkey_read(argv[2], &pub, &err) != 0) {
      wl_report_err("reading the key", &err);
      return WL_EXIT_FAIL;
    }
    char id[65];
    wk_pubkey_id_hex(&pub, id);
    printf("%s\n", id);
    return WL_EXIT_OK;
  }
  return wl_usage_error("key", "unknown command '%s'", argv[1]);
}

const wl_cmd wl_cmd_key = {"key", run, USAGE,
                           "generate and inspect cache signing keys"};
