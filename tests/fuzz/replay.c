/*
 * replay.c - runs a fuzz target over files without libFuzzer.
 *
 * Usage: replay_TARGET PATH...: each PATH is a file, or a directory whose
 * files (in name order, not recursing) are run one by one. This is how
 * ctest replays the seed corpora and the inputs that once crashed, in the
 * plain and the sanitized builds alike. Prints "replayed N inputs" last;
 * a target that trips over an input aborts with that input's name printed
 * just before.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long replayed;

static int run_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;
    if (!fp) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    /* One more byte, so an empty file still has a buffer to point to. */
    buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        free(buf);
        fclose(fp);
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    fclose(fp);
    fprintf(stderr, "replay %s\n", path);
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    free(buf);
    replayed++;
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *path) {
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int bad = 0;
    if (!d) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **p;
            cap = cap ? cap * 2 : 64;
            p = realloc(names, cap * sizeof *names);
            if (!p) abort();
            names = p;
        }
        names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n]) abort();
        snprintf(names[n], strlen(path) + strlen(e->d_name) + 2, "%s/%s", path,
                 e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            bad |= run_file(names[i]);
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv) {
    int bad = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            /* A target without regression inputs yet has no folder. */
            continue;
        }
        bad |= S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    }
    printf("replayed %ld inputs\n", replayed);
    return bad;
}
