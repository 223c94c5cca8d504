/*
 * editor.h - editing the open document in place (`e`), the merge view of a conflict, and the
 * recovery of unsaved edits.
 *
 * The editor edits what ui_edit_text_of gives for the document's format (JSON as stored, text,
 * bytes as hex, a plain pickle as JSON) and saves through the CAS-aware path of save.h: the edit
 * goes to the save path as a session whose hooks bring the result back here, so after a save the
 * editor stays open on the new CAS, and "keep editing" in the conflict view returns to it.
 * While a change is unsaved it is mirrored (at most once a second) to a recovery file
 * (recovery.h); the next start offers to restore it.
 *
 * Where the app calls in: ui_editor_key before the global keys (the editor takes every key while
 * open), ui_editor_draw from the document pane, ui_editor_place_cursor after drawing,
 * ui_editor_tick once a second, ui_recovery_offer at start and ui_editor_shutdown at exit.
 */
#ifndef UI_EDITOR_H
#define UI_EDITOR_H

#include <stdbool.h>

#include "app.h"

/* True while the editor or the merge view owns the document pane. */
bool ui_editor_active(const ui_app *app);
/* Start editing the open document (the `e` key); says why not when it cannot. */
void ui_editor_open(ui_app *app);
/* A key while the editor is open; UI_KEY_UNHANDLED when it is not. */
unsigned ui_editor_key(ui_app *app, const ui_key *key);
void ui_editor_draw(ui_pane *pane, ui_app *app);
/* Put the terminal's cursor on the editor's; false when the editor is not showing one. */
bool ui_editor_place_cursor(ui_app *app);
/* Once a second: mirror an unsaved change to the recovery file; notice a write by another. */
void ui_editor_tick(ui_app *app);
/* At exit: an unsaved edit stays in its recovery file (stderr says where); free the editor. */
void ui_editor_shutdown(ui_app *app);

/* At start: offer to restore each unsaved edit of this store, one y/n question at a time. */
void ui_recovery_offer(ui_app *app);

#endif /* UI_EDITOR_H */
