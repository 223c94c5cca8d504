/*
 * save.h - the CAS-aware save path (DESIGN.md section 7).
 *
 * An edit session remembers the document as it was loaded (its CAS, expiry and text) and the
 * user's edit. Saving replaces the document only if its CAS is still the one loaded; the TTL is
 * sent again so it is kept (memcached forgets it on a plain set). Then:
 *  - success: the new CAS becomes the base, so a second save works;
 *  - KeyExistsError (someone else wrote): the store's version ("theirs") is read and the conflict
 *    view offers overwrite, take theirs, merge or keep editing; the edit is never dropped;
 *  - NotFoundError (deleted meanwhile): the user is offered to re-create it.
 * The edit lives in a 0600 file under $XDG_STATE_HOME/kvtui/edits/ until it is saved, so a crash
 * or a kill never loses it.
 */
#ifndef UI_SAVE_H
#define UI_SAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "edit_text.h"

/* How an edit session ended, for the in-place editor's hook. */
typedef enum ui_edit_end { UI_EDIT_SAVED, UI_EDIT_UNCHANGED, UI_EDIT_DISCARDED, UI_EDIT_KEPT } ui_edit_end;

typedef struct ui_edit_session {
    char key[KV_KEY_MAX + 1];
    size_t key_len;
    uint32_t flags;
    ui_edit_form form;
    uint64_t base_cas;
    int64_t base_expiry;
    char *base_text; /* as loaded: tells "no change" apart and is the merge base */
    size_t base_text_len;
    char *mine;      /* the user's edit */
    size_t mine_len;
    char *file;      /* where the edit is kept until saved */
    bool in_conflict;
    kv_result theirs; /* the store's version when a save conflicted */
    char *theirs_text;
    size_t theirs_text_len;
    /* The in-place editor's hooks (NULL for $EDITOR sessions). ENDED runs just before the save
     * path frees the session (RESULT: the save's result for UI_EDIT_SAVED, else NULL); RESUME
     * runs instead of $EDITOR when the user picks "keep editing" (conflict `e`, or `y` to "edit
     * again?"): the session is the hook's again. */
    void (*ended)(ui_app *app, struct ui_edit_session *session, ui_edit_end how,
                  const kv_result *result);
    void (*resume)(ui_app *app, struct ui_edit_session *session);
    void *owner;
} ui_edit_session;

/* Tell the session's owner how it ended (no-op for $EDITOR sessions). */
void ui_edit_session_ended(ui_app *app, ui_edit_session *session, ui_edit_end how,
                           const kv_result *result);
/* Hand the edit back to the user: the in-place editor if it owns the session, else $EDITOR. */
void ui_edit_resume(ui_app *app, ui_edit_session *session);

/* Start an edit of the open document in $EDITOR (the `E` key). */
void ui_edit_external(ui_app *app);
/* Save the session's edit with CAS (the base CAS, or theirs to overwrite). */
void ui_save(ui_app *app, ui_edit_session *session, uint64_t cas);
void ui_edit_session_free(ui_edit_session *session);

/* The document was deleted meanwhile: ask, then insert the edit (or keep it in its file). */
void ui_save_offer_recreate(ui_app *app, ui_edit_session *session);
/* A save met someone else's write: read theirs and show the conflict view. */
void ui_conflict_begin(ui_app *app, ui_edit_session *session);
/* The conflict view, drawn by the document pane while app->edit is in conflict. */
void ui_conflict_draw(ui_pane *pane, ui_app *app);
/* A conflict action (overwrite, take-theirs, merge, keep-editing) while the view is shown;
 * UI_KEY_UNHANDLED otherwise. */
unsigned ui_conflict_action(ui_app *app, ui_action action);
/* The `m` choice: merge base, mine and theirs (ui/conflict_merge.c). */
void ui_conflict_merge(ui_app *app, ui_edit_session *session);

/* $EDITOR on FILE, with curses suspended meanwhile. */
kv_status ui_run_editor(const char *file, char *errbuf, size_t errbuf_len);
/* A new 0600 file holding TEXT under $XDG_STATE_HOME/kvtui/edits/; malloc'd path or NULL. */
char *ui_edit_file_create(const char *key, size_t key_len, const char *text, size_t len,
                          char *errbuf, size_t errbuf_len);
/* The whole of FILE (malloc'd, NUL-terminated), or NULL. */
char *ui_read_file(const char *file, size_t *len);

#endif /* UI_SAVE_H */
