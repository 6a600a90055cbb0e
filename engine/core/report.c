/*
 * report.c - the outcome of a run, for the CLI and for --json.
 *
 * A command's run builds a json-c object with its counts and hands it here
 * with a short text summary; the measured phases (wall time, CPU time and
 * peak memory of read, index, analyse, write, each with its steps) are
 * added, and the JSON is serialised once
 * so the CLI can print it as is. json-c does the escaping of Chinese names
 * and odd codes; nothing here formats JSON by hand.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "redact.h"

struct gs_report {
    char *json;
    char *text;
    long findings;
};

/* The steps of phase i: name, wall and CPU seconds, peak RSS so far, and
 * whether it ran on one thread beside others ("thread": true, its CPU
 * time that thread's). */
static json_object *steps_json(const gs_ctx *ctx, int i) {
    const gs__phase *ph = &ctx->phases[i];
    json_object *a = json_object_new_array();
    for (int k = 0; a && k < ph->n_steps; k++) {
        const gs__step *s = &ctx->steps[ph->first_step + k];
        json_object *o = json_object_new_object();
        if (!o) break;
        json_object_object_add(o, "step", json_object_new_string(s->name));
        json_object_object_add(o, "wall_s", json_object_new_double(s->wall_s));
        json_object_object_add(o, "cpu_s", json_object_new_double(s->cpu_s));
        json_object_object_add(o, "peak_rss_mb",
                               json_object_new_double(s->peak_rss_mb));
        if (s->thread)
            json_object_object_add(o, "thread", json_object_new_boolean(1));
        json_object_array_add(a, o);
    }
    return a;
}

gs_report *gs__report_create(gs_ctx *ctx, json_object *obj, const char *text,
                             long findings) {
    gs_report *r = gs__calloc(1, sizeof *r);
    json_object *phases = json_object_new_array();
    const char *s;
    if (!r || !phases || !obj) goto fail;
    for (int i = 0; i < ctx->n_phases; i++) {
        json_object *p = json_object_new_object();
        if (!p) goto fail;
        json_object_object_add(p, "phase",
                               json_object_new_string(ctx->phases[i].name));
        json_object_object_add(p, "wall_s",
                               json_object_new_double(ctx->phases[i].wall_s));
        json_object_object_add(p, "cpu_s",
                               json_object_new_double(ctx->phases[i].cpu_s));
        json_object_object_add(
            p, "peak_rss_mb",
            json_object_new_double(ctx->phases[i].peak_rss_mb));
        if (ctx->phases[i].n_steps > 0)
            json_object_object_add(p, "steps", steps_json(ctx, i));
        json_object_array_add(phases, p);
    }
    json_object_object_add(obj, "phases", phases);
    phases = NULL;
    /* Outputs and inputs may be connection strings with a password. */
    if (gs__redact_json(obj)) goto fail;
    s = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    r->json = s ? gs__strdup(s) : NULL;
    r->text = gs__redact(text ? text : "");
    r->findings = findings;
    if (!r->json || !r->text) goto fail;
    json_object_put(obj);
    return r;
fail:
    if (phases) json_object_put(phases);
    if (obj) json_object_put(obj);
    gs_report_destroy(r);
    return NULL;
}

gs_report *gs__report_from_buf(gs_ctx *ctx, json_object *obj, gs__buf *text,
                               long findings) {
    gs_report *rep = NULL;
    if (text->failed)
        json_object_put(obj);
    else
        rep = gs__report_create(ctx, obj, text->data, findings);
    gs__buf_free(text);
    return rep;
}

void gs_report_destroy(gs_report *r) {
    if (!r) return;
    free(r->json);
    free(r->text);
    free(r);
}

const char *gs_report_json(const gs_report *r) {
    return r && r->json ? r->json : "{}";
}

const char *gs_report_text(const gs_report *r) {
    return r && r->text ? r->text : "";
}

long gs_report_findings(const gs_report *r) { return r ? r->findings : 0; }
