/* ntk._ntk.compare — ntk_compare_run (ntk/compare.h) over in-memory columns.
 * Included by _ntk.c (one extension module, one translation unit). */

#define COMPARE_DOC                                                                       \
    "compare(train_columns, names, test_columns, encode_opts, train_params, opts) -> dict\n" \
    "opts: widths (list of int), seeds, seed, raw, lr_given."

/* Per-width values as a W×T (or W) float array. */
static PyObject *width_matrix(const ntk_compare_result *r, size_t off, int per_time)
{
    npy_intp dims[2] = {(npy_intp)r->n_widths, (npy_intp)r->n_times};
    PyObject *a = new_array(per_time ? 2 : 1, dims);
    if (!a)
        return NULL;
    double *v = PyArray_DATA((PyArrayObject *)a);
    for (size_t w = 0; w < r->n_widths; w++) {
        const char *base = (const char *)&r->widths[w];
        if (per_time) {
            const double *src = *(double *const *)(base + off);
            memcpy(v + w * r->n_times, src, r->n_times * sizeof *v);
        } else {
            v[w] = *(const double *)(base + off);
        }
    }
    return a;
}

static PyObject *compare_dict(const ntk_compare_result *r)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    npy_intp nw = (npy_intp)r->n_widths;
    PyObject *widths = PyArray_SimpleNew(1, &nw, NPY_INT64);
    if (widths)
        for (size_t w = 0; w < r->n_widths; w++)
            ((npy_int64 *)PyArray_DATA((PyArrayObject *)widths))[w] = (npy_int64)r->widths[w].width;
    static const struct {
        const char *key;
        size_t off;
        int per_time;
    } fields[] = {
        {"net_train", offsetof(ntk_compare_width, net_train), 1},
        {"net_test", offsetof(ntk_compare_width, net_test), 1},
        {"ntk_train", offsetof(ntk_compare_width, ref_train), 1},
        {"ntk_test", offsetof(ntk_compare_width, ref_test), 1},
        {"gap_rmse", offsetof(ntk_compare_width, gap), 1},
        {"init_rel_dist", offsetof(ntk_compare_width, init_rel_dist), 0},
        {"init_rel_dist_of_mean", offsetof(ntk_compare_width, init_rel_dist_mean), 0},
        {"change_rel", offsetof(ntk_compare_width, change_rel), 0},
        {"lambda_max_init", offsetof(ntk_compare_width, lambda_max_init), 0},
        {"seconds", offsetof(ntk_compare_width, seconds), 0},
    };
    int ok = put(d, "widths", widths) && put(d, "times", doubles_list(r->times, r->n_times)) &&
             put(d, "task", PyUnicode_FromString(ntk_task_name(r->task))) &&
             put(d, "n_train", PyLong_FromSize_t(r->n)) &&
             put(d, "n_test", PyLong_FromSize_t(r->n_test)) &&
             put(d, "n_features", PyLong_FromSize_t(r->d)) &&
             put(d, "seeds", PyLong_FromLong(r->seeds)) &&
             put(d, "centered", PyBool_FromLong(!r->raw)) &&
             put(d, "lr", PyFloat_FromDouble(r->lr)) && put(d, "c", PyFloat_FromDouble(r->c)) &&
             put(d, "lambda_max", PyFloat_FromDouble(r->lambda_max)) &&
             put(d, "jitter", PyFloat_FromDouble(r->model->jitter));
    for (size_t i = 0; ok && i < sizeof fields / sizeof fields[0]; i++)
        ok = put(d, fields[i].key, width_matrix(r, fields[i].off, fields[i].per_time));
    if (!ok) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *py_compare(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *tr_items, *names, *te_items, *eo, *tp, *co;
    if (!PyArg_ParseTuple(args, "OOOO!O!O!", &tr_items, &names, &te_items, &PyDict_Type, &eo,
                          &PyDict_Type, &tp, &PyDict_Type, &co))
        return NULL;
    ntk_encode_options enc_opt;
    ntk_compare_params p;
    ntk_compare_params_init(&p);
    double *times = NULL;
    size_t *widths = NULL, n_widths = 0;
    long seeds = 1, raw = 0, lr_given = 0;
    unsigned long long seed = 0;
    PyObject *result = NULL;
    if (!parse_encode(eo, &enc_opt) || !parse_train(tp, &p.train, &times) ||
        !dict_int(co, "seeds", &seeds) || !dict_int(co, "raw", &raw) ||
        !dict_int(co, "lr_given", &lr_given))
        goto out;
    PyObject *sv = PyDict_GetItemString(co, "seed");
    if (sv && (seed = PyLong_AsUnsignedLongLong(sv)) == (unsigned long long)-1 && PyErr_Occurred())
        goto out;
    double *wv = NULL;
    PyObject *wo = PyDict_GetItemString(co, "widths");
    if (!wo || !seq_doubles(wo, "widths must be a sequence of integers", &wv, &n_widths))
        goto out;
    widths = malloc((n_widths ? n_widths : 1) * sizeof *widths);
    for (size_t i = 0; widths && i < n_widths; i++)
        widths[i] = wv[i] >= 1 && wv[i] <= 1e6 && wv[i] == floor(wv[i]) ? (size_t)wv[i] : 0;
    free(wv);
    if (!widths) {
        PyErr_NoMemory();
        goto out;
    }
    p.widths = widths;
    p.n_widths = n_widths;
    p.seeds = (int)seeds;
    p.seed = (uint64_t)seed;
    p.raw = raw != 0;
    p.lr_given = lr_given != 0;
    p.progress = interruptible;
    ntk_table *ttr = columns_table(tr_items, names, "train");
    if (!ttr)
        goto out;
    ntk_table *tte = columns_table(te_items, names, "test");
    if (!tte) {
        ntk_table_free(ttr);
        goto out;
    }
    ntk_encoder *enc = NULL;
    ntk_dataset *dtr = NULL, *dte = NULL;
    ntk_compare_result *res = NULL;
    ntk_error err = {0};
    ntk_status st;
    thread_save ts = {0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    threads_push(&ts, p.train.threads);
    st = ntk_encoder_fit(ttr, &enc_opt, &enc, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(enc, ttr, 1, &dtr, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(enc, tte, 1, &dte, &err);
    if (st == NTK_OK) {
        st = ntk_compare_run(dtr, dte, enc, &p, &res, &err);
        enc = NULL; /* owned by the experiment, also on failure */
    }
    threads_pop(&ts);
    ntk_encoder_free(enc);
    ntk_dataset_free(dtr);
    ntk_dataset_free(dte);
    ntk_table_free(ttr);
    ntk_table_free(tte);
    Py_END_ALLOW_THREADS
    if (st != NTK_OK) {
        raise_ntk(&err);
        goto out;
    }
    result = compare_dict(res);
    ntk_compare_result_free(res);
out:
    free(times);
    free(widths);
    return result;
}
