/*
 * editor_internal.h - the in-place editor's state, shared by its files: pane_editor.c (keys),
 * editor_draw.c (drawing), editor_open.c (open, leave, exit), editor_save.c (save and the save
 * path's hooks), editor_session.c (start, close, the recovery mirror, the store notice) and
 * recovery_offer.c (restoring at start). There is one editor: one document is edited at a time.
 */
#ifndef UI_EDITOR_INTERNAL_H
#define UI_EDITOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "edit_buffer.h"
#include "edit_text.h"
#include "editor.h"
#include "recovery.h"
#include "save.h"

typedef struct ui_editor {
    bool open;
    ui_edit_buffer *buffer;
    char key[KV_KEY_MAX + 1];
    size_t key_len;
    uint32_t flags;
    ui_edit_form form;
    uint64_t base_cas;    /* the version the edit is based on: a save replaces only that one */
    uint64_t own_old_cas; /* our version before the last save (not someone else's write) */
    int64_t base_expiry;  /* sent again on save so the TTL is kept */
    char *base_text;      /* as loaded or last saved: "no change" and the merge base */
    size_t base_len;
    bool saving;               /* the edit is with the save path (a save or its conflict view) */
    bool conflict_known;       /* a save conflicted and the user chose to keep editing */
    bool notice_logged;        /* the "changed on the store" line was logged */
    bool listed;               /* the key list had the key while it was edited */
    bool unsaved_restore;      /* the text came back unsaved (a recovery file, a merge to edit) */
    uint64_t changes;          /* edits since open, counted by the key handler */
    uint64_t mirrored_changes; /* CHANGES at the last recovery write */
    int64_t mirrored_at_ms;    /* monotonic */
    bool mirror_failed;        /* said once, not on every keystroke */
    char recovery_path[1200];
    size_t top;  /* first line shown */
    size_t left; /* columns scrolled right */
    size_t page; /* body rows at the last draw (page up/down) */
    WINDOW *win; /* where the cursor was drawn */
    int cursor_y, cursor_x;
    bool cursor_shown;
    char search[256]; /* the last search */
} ui_editor;

/* The one editor. */
ui_editor *ui_editor_state(void);
/* LEN bytes of BYTES, NUL-terminated (malloc'd; aborts when memory is out). */
char *ui_editor_copy(const char *bytes, size_t len);

/* Replace the text (a new buffer: undo starts over), the cursor at byte offset CURSOR. */
void ui_editor_set_text(ui_editor *editor, const char *text, size_t len, size_t cursor);

/* Open the editor on EDIT->mine based on EDIT->base, for EDIT->key with EDIT's metadata (copied;
 * EDIT stays the caller's). MODIFIED: the edit is not what is stored (a restored edit). */
void ui_editor_start(ui_app *app, const ui_recovery *edit, bool modified);
/* Close without saving; FORGET also deletes the recovery file. */
void ui_editor_close(ui_app *app, bool forget);
/* Ctrl-S: validate, then save through the CAS-aware path. */
void ui_editor_save(ui_app *app);
/* Esc: leave, asking first when there is an unsaved change. */
void ui_editor_leave(ui_app *app);
/* A key changed the text: count it and mirror it (at most once a second). */
void ui_editor_changed(ui_app *app);
/* Write the recovery file now (when there is something unsaved). */
void ui_editor_mirror(ui_app *app);
/* True when the text differs from what is stored (as far as the editor knows). */
bool ui_editor_modified(ui_editor *editor);
/* "changed on the store; saving will conflict", "deleted on the store ...", or NULL. */
const char *ui_editor_store_notice(ui_app *app, ui_editor *editor);

/* The merge view of a conflict (conflict_merge.c), shown in the editor's place. */
bool ui_merge_view_active(void);
unsigned ui_merge_view_key(ui_app *app, const ui_key *key);
void ui_merge_view_draw(ui_pane *pane, ui_app *app);
/* At exit with the merge view open: say where an $EDITOR edit is kept; free the view. */
void ui_merge_view_shutdown(void);

#endif /* UI_EDITOR_INTERNAL_H */
