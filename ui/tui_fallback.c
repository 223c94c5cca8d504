/* A stand-in for kv_tui_run so the CLI links in builds without the TUI; ui/tui.c overrides it. */
#include <stdio.h>

#include "tui.h"

__attribute__((weak)) int kv_tui_run(const char *store, const kv_tui_options *options)
{
    (void)store;
    (void)options;
    fprintf(stderr, "kvtui: TUI not built; run a command instead (kvtui --help)\n");
    return 1;
}
