/*
 * app.h - the TUI's state and the services panes use.
 *
 * Where things go: a key press arrives in app.c's loop, goes to the prompt when one is open,
 * else to the global bindings (actions.c), else to the focused pane's key handler. A handler
 * that needs the store calls ui_app_submit(); the worker thread runs the request and the loop
 * routes its KV_EVENT_RESULT to the callback given, after logging it in the status pane. Scans,
 * the change sequence and the 1 s tick update the key list (app_keys.c). Nothing draws except
 * the panes' draw functions, called once per loop turn for what is dirty.
 */
#ifndef UI_APP_H
#define UI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key_model.h"
#include "keymap.h"
#include "kv.h"
#include "pane.h"

typedef enum ui_pane_id { UI_PANE_KEYS, UI_PANE_DOC, UI_PANE_STATUS, UI_PANE_COUNT } ui_pane_id;

typedef enum ui_log_level { UI_LOG_INFO, UI_LOG_OK, UI_LOG_ERROR } ui_log_level;

#define UI_LOG_LINES 200

typedef struct ui_log_line {
    ui_log_level level;
    char text[256]; /* may hold untrusted bytes: drawn through ui_draw_text */
} ui_log_line;

typedef struct ui_log {
    ui_log_line lines[UI_LOG_LINES]; /* a ring */
    size_t next, count;
} ui_log;

/* The document shown in the document pane. */
typedef struct ui_document {
    bool open;             /* a key was opened (result may still be loading) */
    bool loading;
    kv_result result;      /* the last read: status, key, value, flags, CAS, expiry */
    bool changed_on_store; /* a write by someone else was seen since it was read */
    unsigned generation;   /* bumped on every new result, so views rebuild */
} ui_document;

typedef void (*ui_result_fn)(ui_app *app, const kv_result *result, void *ctx);
/* TEXT is what was typed, or NULL when the prompt was cancelled. */
typedef void (*ui_prompt_fn)(ui_app *app, const char *text, void *ctx);

/* The one-line input at the bottom: the filter, dialogs' questions and the : line. */
typedef struct ui_prompt {
    bool active;
    char label[96];
    char text[1024];
    size_t len, cursor;  /* bytes */
    bool live;           /* call done on every change (the filter) */
    bool single_key;     /* a y/n question: the first key answers */
    ui_prompt_fn done;
    void *ctx;
} ui_prompt;

struct ui_app {
    kv_client *client;
    char store[512];
    bool read_only;
    bool quit;
    unsigned dirty;
    ui_pane panes[UI_PANE_COUNT];
    ui_keymap keymap;
    ui_pane_id focus;
    int64_t now; /* wall-clock second the screen shows TTLs at */

    ui_key_model keys;
    size_t key_selected, key_top;
    bool scanning;
    uint64_t scanned;
    bool scan_has_partial;     /* the scan lists keys early (memcached): later records complete them */
    int64_t scan_refreshed_ms; /* when the list was last sorted and filtered during the scan */
    uint64_t change_seq;
    bool change_seq_known;
    bool follow_changes; /* the backend has a change sequence */
    bool changes_in_flight;
    int64_t last_recheck;

    bool connection_lost; /* the last store reply was NetworkError or TimeoutError */
    ui_document doc;
    struct ui_edit_session *edit; /* a save in conflict, shown by the document pane */
    ui_log log;
    ui_prompt prompt;
    bool show_help;
};

/* Lay out the panes, start the key scan and run until the user quits. */
void ui_app_run(ui_app *app);
/* Run REQUEST on the worker; DONE (may be NULL) gets its result on the UI thread after the
 * result is logged. Never blocks. */
uint64_t ui_app_submit(ui_app *app, kv_request *request, ui_result_fn done, void *ctx);
void ui_status_log(ui_app *app, ui_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_app_mark_dirty(ui_app *app, unsigned what);
/* Every reply tells the connection state: NetworkError/TimeoutError mark it lost (a badge and a
 * log line), the next other reply marks it restored. */
void ui_app_note_connection(ui_app *app, kv_status status);
/* Read KEY and show it in the document pane. */
void ui_app_open_document(ui_app *app, const char *key, size_t key_len);
/* Open the prompt line; DONE runs on Enter (or Escape, with NULL). */
void ui_app_prompt(ui_app *app, const char *label, const char *initial, ui_prompt_fn done,
                   void *ctx);
/* A y/n question; DONE gets "y" or NULL. */
void ui_app_confirm(ui_app *app, const char *question, ui_prompt_fn done, void *ctx);
/* The key under the cursor in the key list (not NUL-terminated), or NULL. */
const char *ui_app_selected_key(ui_app *app, size_t *len);
/* True (and a status line saying so) when the store was opened read-only. */
bool ui_app_refuse_if_read_only(ui_app *app, const char *what);

/* The key list's life (app_keys.c). */
void ui_keys_start_scan(ui_app *app);
void ui_keys_handle_event(ui_app *app, const kv_event *event);
void ui_keys_tick(ui_app *app);
/* Re-read KEY's metadata (after a write) and update or drop its row. */
void ui_keys_recheck(ui_app *app, const char *key, size_t key_len);

/* A key outside the prompt and the editor: its binding in the key map runs (actions.c). */
unsigned ui_actions_key(ui_app *app, const ui_key *key);
/* Run one line of the command language, as typed at the : prompt. */
void ui_actions_run_command(ui_app *app, const char *line);
/* Import/export progress and end; false when EVENT belongs to another stream. */
bool ui_actions_handle_stream(ui_app *app, const kv_event *event);

/* The panes (one file each). */
void ui_pane_keys_init(ui_pane *pane);
void ui_pane_doc_init(ui_pane *pane);
void ui_pane_status_init(ui_pane *pane);

#endif /* UI_APP_H */
