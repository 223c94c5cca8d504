/* The merge choice of the conflict view. A 3-way JSON merge by path comes with ui/merge3; until
 * then the user is told so and keeps the other choices. */
#include "save.h"

void ui_conflict_merge(ui_app *app, ui_edit_session *session)
{
    (void)session;
    ui_status_log(app, UI_LOG_ERROR,
                  "NotSupportedError: merge is not built yet; o, t or e resolve the conflict");
}
