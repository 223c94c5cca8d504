/* Events: what the worker hands back to the owner of a client. */
#include <stdio.h>
#include <stdlib.h>

#include "transfer.h"
#include "util_alloc.h"

kv_event *kv__event_new(kv_event_type type, uint64_t id, void *user)
{
    kv_event *event = calloc(1, sizeof *event);
    if (!event) {
        kv__out_of_memory();
    }
    event->type = type;
    event->id = id;
    event->user = user;
    return event;
}

void kv_event_free(kv_event *event)
{
    if (!event)
        return;
    kv_result_clear(&event->result);
    free(event->keys);
    free(event->changes);
    free(event->arena);
    free(event);
}
