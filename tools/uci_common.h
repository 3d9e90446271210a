/* The UCI collection of Fernández-Delgado et al. as the benchmark programs
 * (uci_benchmark.c, uci_hinge.c) read it: DIR/NAME/NAME_R.dat (tab-separated,
 * first column an index, last the class, features already standardized) and
 * its splits, conxuntos.dat (train and validation rows) and
 * conxuntos_kfold.dat (four train/test pairs), one line of 0-based row
 * indices each. */
#ifndef NTK_TOOLS_UCI_COMMON_H
#define NTK_TOOLS_UCI_COMMON_H

#include <stddef.h>

#include "ntk/dataset.h"

typedef struct {
    ntk_table *t;
    ntk_encoder *enc;
    ntk_dataset *ds;
    /* idx[0], idx[1]: training and validation rows (conxuntos.dat);
     * idx[2 + 2p], idx[3 + 2p]: training and test rows of pair p < 4. */
    size_t *idx[10], cnt[10];
} uci_set;

/* Load one set: 0, or -1 with the reason in msg (len bytes). uci_set_free
 * releases what was loaded either way. */
int uci_set_load(const char *dir, const char *name, uci_set *s, char *msg, size_t len);
void uci_set_free(uci_set *s);

/* The sets to run, sorted: the comma-separated list `only` if not NULL,
 * else every entry of dir with a conxuntos_kfold.dat. NULL with *count = 0
 * and a message on stderr if dir cannot be read. */
char **uci_set_names(const char *dir, const char *only, size_t *count);
void uci_names_free(char **names, size_t count);

#endif
