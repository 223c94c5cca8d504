/* kv_tui_run: open the store behind its worker thread, then run the screen until the user quits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "save.h"
#include "terminal.h"
#include "tui.h"

int kv_tui_run(const char *store, const kv_tui_options *options)
{
    static ui_app app; /* large (the log ring); one per process */
    char err[256] = "";
    kv_open_options open_options = {.read_only = options->read_only,
                                    .password = options->password};
    kv_status status = kv_client_open(store, &open_options, &app.client, err, sizeof err);
    if (status != KV_OK) {
        fprintf(stderr, "kvtui: %s: %s\n", kv_status_name(status), err);
        return kv_status_exit_code(status);
    }
    snprintf(app.store, sizeof app.store, "%s", store ? store : "default store");
    app.read_only = options->read_only;
    ui_key_model_init(&app.keys);
    if (!ui_terminal_start()) {
        fprintf(stderr, "kvtui: cannot start the terminal (is TERM set?)\n");
        kv_client_close(app.client);
        return 1;
    }
    ui_app_run(&app);
    ui_terminal_stop();
    if (app.edit && app.edit->file) {
        /* An unresolved conflict: the edit stays on disk, and the user is told where. */
        fprintf(stderr, "kvtui: your unsaved edit of '%.*s' is kept in %s\n",
                (int)app.edit->key_len, app.edit->key, app.edit->file);
        free(app.edit->file);
        app.edit->file = NULL;
    }
    ui_edit_session_free(app.edit);
    kv_client_close(app.client);
    kv_result_clear(&app.doc.result);
    ui_key_model_free(&app.keys);
    return 0;
}
