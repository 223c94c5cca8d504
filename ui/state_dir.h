/* state_dir.h - kvtui's private state folder: $XDG_STATE_HOME/kvtui (default
 * ~/.local/state/kvtui), where history, edits and recovery files live. */
#ifndef UI_STATE_DIR_H
#define UI_STATE_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* $XDG_STATE_HOME/kvtui/SUB (SUB NULL: the kvtui folder itself) in OUT, every missing folder
 * created 0700 and the last one made private again if it was not. False when there is no
 * home to put it in or a folder cannot be made. */
bool ui_state_dir(const char *sub, char *out, size_t out_len);

#endif /* UI_STATE_DIR_H */
