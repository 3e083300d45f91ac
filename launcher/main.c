/*
 * main.c: the `wasmaot` command line. Dispatches to the subcommand table
 * that CMake generates from the cmd_*.c files. main() itself is in
 * main_full.c (the dynamic wasmaot-full) or front.c (the static front).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_CMD(name) extern const wl_cmd wl_cmd_##name;
#include "commands.gen.def"
#undef WL_CMD

static const wl_cmd *const commands[] = {
#define WL_CMD(name) &wl_cmd_##name,
#include "commands.gen.def"
#undef WL_CMD
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const char *wl_cmd_usage(const char *cmd) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i]->name, cmd) == 0)
      return commands[i]->usage;
  return cmd;
}

static void print_help(FILE *f) {
  fprintf(f, "wasmaot %s: ahead-of-time WebAssembly compiler and launcher\n\n"
             "usage: wasmaot COMMAND [OPTIONS] [ARGS...]\n\ncommands:\n",
          WA_VERSION);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(f, "\n'wasmaot COMMAND --help' shows a command's options; "
             "docs/cli.md has them all.\n");
}

int wl_main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return WL_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
      strcmp(name, "help") == 0) {
    print_help(stdout);
    return WL_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("wasmaot %s\n", WA_VERSION);
    return WL_EXIT_OK;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i]->name, name) == 0)
      return commands[i]->run(argc - 1, argv + 1);
  fprintf(stderr, "wasmaot: unknown command '%s' (see 'wasmaot --help')\n",
          name);
  return WL_EXIT_USAGE;
}
