/* ntk._ntk — the CPython extension under the `ntk` package: a thin layer
 * over libntk (linked statically, so the library's symbol visibility does not
 * matter here).
 *
 * Why a C extension rather than ctypes: numpy arrays go to the library as the
 * pointers they are (no marshalling, no copy of C-contiguous float64 data),
 * results are written straight into numpy arrays allocated here, and the GIL
 * is released around every long library call. Data goes through the
 * library's own table → encoder path (ntk_table_from_columns), so a model
 * fitted here and one fitted by `ntk fit` on the same CSV hold the same
 * numbers. The Python layer (ntk/__init__.py) validates arguments and turns
 * everything into the plain forms read here: lists of columns, dicts of
 * parameters. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ntk/common.h"
#include "ntk/compare.h"
#include "ntk/dataset.h"
#include "ntk/kernel.h"
#include "ntk/model.h"
#include "ntk/select.h"
#include "ntk/uncertainty.h"

static PyObject *NTKError; /* failures that are neither bad input, memory nor I/O */

/* Library failure → Python exception carrying the library's message. An
 * exception already set (KeyboardInterrupt from the progress hook) wins. */
static PyObject *raise_ntk(const ntk_error *err)
{
    if (PyErr_Occurred())
        return NULL;
    PyObject *type;
    switch (err->status) {
    case NTK_EINPUT: type = PyExc_ValueError; break;
    case NTK_ENOMEM: type = PyExc_MemoryError; break;
    case NTK_EIO: type = PyExc_OSError; break;
    default: type = NTKError; break;
    }
    PyErr_SetString(type, err->msg[0] ? err->msg : ntk_status_name(err->status));
    return NULL;
}

/* Progress hook: lets Ctrl-C stop a long fit. The library calls it from the
 * thread that started the work (which released the GIL), never inside a
 * parallel region, so taking the GIL here is safe. */
static int check_signals(void *ctx, const char *stage, size_t done, size_t total)
{
    (void)ctx;
    (void)stage;
    (void)done;
    (void)total;
    PyGILState_STATE g = PyGILState_Ensure();
    int stop = PyErr_CheckSignals() != 0;
    PyGILState_Release(g);
    return stop;
}

static const ntk_progress interruptible = {check_signals, NULL};

/* ------------------------------------------------------------ threads */

/* `threads` > 0 for the duration of one call: OpenMP and OpenBLAS are set
 * and restored afterwards, so the caller's process keeps its settings. */
typedef struct {
    int omp, blas, set;
} thread_save;

static void threads_push(thread_save *s, int threads)
{
    s->set = threads > 0;
    if (!s->set)
        return;
    s->omp = omp_get_max_threads();
    s->blas = openblas_get_num_threads();
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
}

static void threads_pop(const thread_save *s)
{
    if (!s->set)
        return;
    omp_set_num_threads(s->omp);
    openblas_set_num_threads(s->blas);
}

/* ------------------------------------------------------------ parameters */

static int dict_double(PyObject *d, const char *key, double *out)
{
    PyObject *v = PyDict_GetItemString(d, key); /* borrowed */
    if (!v || v == Py_None)
        return 1;
    double x = PyFloat_AsDouble(v);
    if (x == -1.0 && PyErr_Occurred())
        return 0;
    *out = x;
    return 1;
}

static int dict_int(PyObject *d, const char *key, long *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v || v == Py_None)
        return 1;
    long x = PyLong_AsLong(v);
    if (x == -1 && PyErr_Occurred())
        return 0;
    *out = x;
    return 1;
}

/* A string option: *out stays as is when absent; the pointer is valid while
 * the dict lives. */
static int dict_str(PyObject *d, const char *key, const char **out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v || v == Py_None)
        return 1;
    const char *s = PyUnicode_AsUTF8(v);
    if (!s)
        return 0;
    *out = s;
    return 1;
}

/* One of `names` → its index. */
static int dict_choice(PyObject *d, const char *key, const char *const *names, int *out)
{
    const char *s = NULL;
    if (!dict_str(d, key, &s))
        return 0;
    if (!s)
        return 1;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 1;
        }
    PyErr_Format(PyExc_ValueError, "%s must be one of %s%s%s, got '%s'", key, names[0],
                 names[1] ? "|" : "", names[1] ? names[1] : "", s);
    return 0;
}

/* A sequence of floats into a malloc'ed array. */
static int seq_doubles(PyObject *seq, const char *what, double **out, size_t *n)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast)
        return 0;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(fast);
    double *v = malloc((m ? (size_t)m : 1) * sizeof *v);
    if (!v) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return 0;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        v[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (v[i] == -1.0 && PyErr_Occurred()) {
            free(v);
            Py_DECREF(fast);
            return 0;
        }
    }
    Py_DECREF(fast);
    *out = v;
    *n = (size_t)m;
    return 1;
}

/* Architecture and kernel kind: depth, act, w_std, b_std, fixed_layers, kind. */
static int parse_arch(PyObject *d, ntk_arch *a, ntk_kernel_kind *kind)
{
    static const char *const kinds[] = {"ntk", "nngp", NULL};
    ntk_arch_init(a);
    long depth = a->depth, fixed = a->fixed_layers;
    const char *act = NULL;
    int k = 0;
    if (!dict_int(d, "depth", &depth) || !dict_int(d, "fixed_layers", &fixed) ||
        !dict_double(d, "w_std", &a->w_std) || !dict_double(d, "b_std", &a->b_std) ||
        !dict_str(d, "act", &act) || !dict_choice(d, "kind", kinds, &k))
        return 0;
    a->depth = (int)depth;
    a->fixed_layers = (int)fixed;
    *kind = (ntk_kernel_kind)k;
    if (act) {
        ntk_error err = {0};
        if (ntk_activation_parse(act, &a->act, &err) != NTK_OK) {
            raise_ntk(&err);
            return 0;
        }
    }
    const char *msg = ntk_arch_check(a);
    if (msg) {
        PyErr_SetString(PyExc_ValueError, msg);
        return 0;
    }
    return 1;
}

/* Training parameters; *times is malloc'ed (the params point into it). */
static int parse_train(PyObject *d, ntk_train_params *p, double **times)
{
    static const char *const reg_scales[] = {"absolute", "relative", NULL};
    static const char *const time_scales[] = {"sum", "mean", NULL};
    static const char *const precisions[] = {"double", "float", NULL};
    static const char *const losses[] = {"square", "hinge", NULL};
    ntk_train_params_init(p);
    *times = NULL;
    int rs = 0, ts = 0, prec = 0, loss = 0;
    long threads = 0, scaling = 1;
    if (!parse_arch(d, &p->arch, &p->kind) || !dict_double(d, "reg", &p->solve.reg) ||
        !dict_choice(d, "reg_scale", reg_scales, &rs) || !dict_double(d, "lr", &p->solve.lr) ||
        !dict_choice(d, "time_scale", time_scales, &ts) ||
        !dict_choice(d, "precision", precisions, &prec) || !dict_int(d, "threads", &threads) ||
        !dict_int(d, "target_scaling", &scaling) || !dict_choice(d, "loss", losses, &loss) ||
        !dict_double(d, "C", &p->svm.C))
        return 0;
    p->loss = loss ? NTK_LOSS_HINGE : NTK_LOSS_SQUARE; /* #20 */
    p->solve.reg_scale = (ntk_reg_scale)rs;
    p->solve.time_scale = (ntk_time_scale)ts;
    p->precision = prec ? NTK_PRECISION_FLOAT : NTK_PRECISION_DOUBLE;
    p->threads = (int)threads;
    p->target_scaling = scaling != 0;
    PyObject *tv = PyDict_GetItemString(d, "times");
    size_t nt = 1;
    if (tv && tv != Py_None) {
        if (!seq_doubles(tv, "times must be a sequence of numbers", times, &nt))
            return 0;
    } else {
        *times = malloc(sizeof **times);
        if (!*times) {
            PyErr_NoMemory();
            return 0;
        }
        (*times)[0] = INFINITY;
    }
    p->solve.times = *times;
    p->solve.n_times = nt;
    p->progress = interruptible;
    const char *msg = ntk_train_params_check(p);
    if (msg) {
        free(*times);
        *times = NULL;
        PyErr_SetString(PyExc_ValueError, msg);
        return 0;
    }
    return 1;
}

/* Encoder options: target, task, standardize, missing, drop, categorical. */
static int parse_encode(PyObject *d, ntk_encode_options *o)
{
    static const char *const tasks[] = {"auto", "regression", "classification", NULL};
    static const char *const stds[] = {"zscore", "none", "balanced", NULL};
    static const char *const missing[] = {"impute", "error", NULL};
    ntk_encode_options_init(o);
    int task = 0, sd = 0, mi = 0;
    long no_target = 0;
    if (!dict_str(d, "target", &o->target) || !dict_choice(d, "task", tasks, &task) ||
        !dict_choice(d, "standardize", stds, &sd) || !dict_choice(d, "missing", missing, &mi) ||
        !dict_str(d, "drop", &o->drop) || !dict_str(d, "categorical", &o->categorical) ||
        !dict_int(d, "no_target", &no_target))
        return 0;
    o->task = (ntk_task)task;
    o->standardize = (ntk_standardize)sd;
    o->missing = (ntk_missing_policy)mi;
    o->no_target = no_target != 0;
    return 1;
}

/* ------------------------------------------------------------ columns */

/* Columns for ntk_table_from_columns, from a list whose items are float64
 * arrays (1-D: one column; 2-D: one column per array column, read in place
 * through their strides) or sequences of str/None (text columns). Holds the
 * buffers and the UTF-8 pointers until columns_free. */
typedef struct {
    ntk_column_data *cols;
    size_t n_cols, n_rows;
    Py_buffer *bufs;
    size_t n_bufs;
    const char ***texts;
    size_t n_texts;
    PyObject *keep; /* list of PySequence_Fast objects */
} columns;

static void columns_free(columns *c)
{
    for (size_t i = 0; i < c->n_bufs; i++)
        PyBuffer_Release(&c->bufs[i]);
    free(c->bufs);
    for (size_t i = 0; i < c->n_texts; i++)
        free(c->texts[i]);
    free(c->texts);
    free(c->cols);
    Py_XDECREF(c->keep);
    memset(c, 0, sizeof *c);
}

static int set_rows(columns *c, size_t rows)
{
    if (c->n_cols && c->n_rows != rows) {
        PyErr_Format(PyExc_ValueError, "columns differ in length (%zu and %zu rows)", c->n_rows,
                     rows);
        return 0;
    }
    c->n_rows = rows;
    return 1;
}

static int columns_from(PyObject *items, PyObject *names, columns *c)
{
    memset(c, 0, sizeof *c);
    PyObject *fi = PySequence_Fast(items, "columns must be a list");
    PyObject *fn = fi ? PySequence_Fast(names, "names must be a list of str") : NULL;
    if (!fi || !fn)
        goto fail;
    Py_ssize_t ni = PySequence_Fast_GET_SIZE(fi), nn = PySequence_Fast_GET_SIZE(fn);
    c->bufs = calloc((size_t)ni + 1, sizeof *c->bufs);
    c->texts = calloc((size_t)ni + 1, sizeof *c->texts);
    c->cols = calloc((size_t)nn + 1, sizeof *c->cols);
    c->keep = PyList_New(0);
    if (!c->bufs || !c->texts || !c->cols || !c->keep) {
        PyErr_NoMemory();
        goto fail;
    }
    size_t j = 0;
    for (Py_ssize_t i = 0; i < ni; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(fi, i);
        if (PyObject_CheckBuffer(it) && !PyBytes_Check(it)) {
            Py_buffer *b = &c->bufs[c->n_bufs];
            if (PyObject_GetBuffer(it, b, PyBUF_STRIDES | PyBUF_FORMAT) != 0)
                goto fail;
            c->n_bufs++;
            if (strcmp(b->format, "d") != 0 || b->itemsize != 8 || b->ndim < 1 || b->ndim > 2) {
                PyErr_SetString(PyExc_TypeError, "numeric columns must be float64 arrays (1-D or 2-D)");
                goto fail;
            }
            size_t rows = (size_t)b->shape[0], ncol = b->ndim == 2 ? (size_t)b->shape[1] : 1;
            Py_ssize_t s0 = b->strides[0], s1 = b->ndim == 2 ? b->strides[1] : 8;
            if (s0 % 8 || s1 % 8 || s0 < 0 || s1 < 0) {
                PyErr_SetString(PyExc_ValueError, "array strides must be non-negative multiples of 8");
                goto fail;
            }
            if (!set_rows(c, rows))
                goto fail;
            for (size_t q = 0; q < ncol; q++, j++) {
                if (j >= (size_t)nn)
                    break;
                c->cols[j].values = (const double *)((const char *)b->buf + q * (size_t)s1);
                c->cols[j].stride = (size_t)s0 / 8;
                c->n_cols = j + 1;
            }
        } else {
            PyObject *seq = PySequence_Fast(it, "a text column must be a sequence of str or None");
            if (!seq)
                goto fail;
            int app = PyList_Append(c->keep, seq);
            Py_DECREF(seq);
            if (app)
                goto fail;
            size_t rows = (size_t)PySequence_Fast_GET_SIZE(seq);
            if (!set_rows(c, rows))
                goto fail;
            const char **t = malloc((rows ? rows : 1) * sizeof *t);
            if (!t) {
                PyErr_NoMemory();
                goto fail;
            }
            c->texts[c->n_texts++] = t;
            for (size_t r = 0; r < rows; r++) {
                PyObject *s = PySequence_Fast_GET_ITEM(seq, r);
                if (s == Py_None) {
                    t[r] = NULL;
                } else if (!(t[r] = PyUnicode_AsUTF8(s))) {
                    goto fail;
                }
            }
            if (j < (size_t)nn) {
                c->cols[j].text = t;
                c->n_cols = ++j;
            }
        }
    }
    if (c->n_cols != (size_t)nn || j != (size_t)nn) {
        PyErr_Format(PyExc_ValueError, "%zd column names for %zu columns", nn, j);
        goto fail;
    }
    for (size_t q = 0; q < c->n_cols; q++)
        if (!(c->cols[q].name = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(fn, (Py_ssize_t)q))))
            goto fail;
    /* names stay alive: fn is kept */
    if (PyList_Append(c->keep, fn))
        goto fail;
    Py_DECREF(fn);
    Py_DECREF(fi);
    return 1;
fail:
    Py_XDECREF(fn);
    Py_XDECREF(fi);
    columns_free(c);
    return 0;
}

/* Columns → table (GIL released: numbers are formatted here). */
static ntk_table *columns_table(PyObject *items, PyObject *names, const char *what)
{
    columns c;
    if (!columns_from(items, names, &c))
        return NULL;
    ntk_table *t = NULL;
    ntk_error err = {0};
    ntk_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ntk_table_from_columns(c.cols, c.n_cols, c.n_rows, what, &t, &err);
    Py_END_ALLOW_THREADS
    columns_free(&c);
    if (st != NTK_OK)
        return raise_ntk(&err), NULL;
    return t;
}

/* ------------------------------------------------------------ the Model type */

typedef struct {
    PyObject_HEAD
    ntk_model *m;
} ModelObject;

static PyTypeObject ModelType;

static PyObject *model_wrap(ntk_model *m)
{
    ModelObject *o = PyObject_New(ModelObject, &ModelType);
    if (!o) {
        ntk_model_free(m);
        return NULL;
    }
    o->m = m;
    return (PyObject *)o;
}

static void model_dealloc(ModelObject *self)
{
    ntk_model_free(self->m);
    PyObject_Del(self);
}

static PyObject *new_array(int nd, npy_intp *dims)
{
    return PyArray_SimpleNew(nd, dims, NPY_DOUBLE);
}

/* Encode a table with the model's encoder (rows kept as they are). */
static ntk_dataset *encode_for(const ntk_model *m, ntk_table *t)
{
    ntk_dataset *ds = NULL;
    ntk_error err = {0};
    ntk_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ntk_encoder_apply(m->encoder, t, 0, &ds, &err);
    ntk_table_free(t);
    Py_END_ALLOW_THREADS
    if (st != NTK_OK)
        return raise_ntk(&err), NULL;
    return ds;
}

/* The (columns, names[, threads]) arguments of predict and variance, encoded
 * with the model's encoder. */
static ntk_dataset *rows_arg(ModelObject *self, PyObject *args, int *threads)
{
    PyObject *items, *names;
    *threads = 0;
    if (!PyArg_ParseTuple(args, "OO|i", &items, &names, threads))
        return NULL;
    ntk_table *t = columns_table(items, names, "X");
    return t ? encode_for(self->m, t) : NULL;
}

/* predict: scores (n_times, m, k) in original units; variance: the latent
 * variances (n_times, m) of the ensemble (ntk_model_uncertainty). */
static PyObject *model_outputs(ModelObject *self, PyObject *args, int variance)
{
    int threads;
    ntk_dataset *ds = rows_arg(self, args, &threads);
    if (!ds)
        return NULL;
    npy_intp dims[3] = {(npy_intp)self->m->n_times, (npy_intp)ds->n, (npy_intp)self->m->k};
    PyObject *out = new_array(variance ? 2 : 3, dims);
    ntk_uncertainty_options uo = {0, threads, interruptible};
    ntk_error err = {0};
    ntk_status st = NTK_ENOMEM;
    thread_save ts = {0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    if (out) {
        double *o = PyArray_DATA((PyArrayObject *)out);
        threads_push(&ts, threads);
        st = variance ? ntk_model_uncertainty(self->m, ds->X, ds->n, &uo, o, NULL, &err)
                      : ntk_model_predict(self->m, ds->X, ds->n, o, threads, &interruptible, &err);
        threads_pop(&ts);
    }
    ntk_dataset_free(ds);
    Py_END_ALLOW_THREADS
    if (st != NTK_OK) {
        Py_XDECREF(out);
        return out ? raise_ntk(&err) : NULL;
    }
    return out;
}

static PyObject *model_predict(ModelObject *self, PyObject *args)
{
    return model_outputs(self, args, 0);
}

static PyObject *model_variance(ModelObject *self, PyObject *args)
{
    return model_outputs(self, args, 1);
}

static PyObject *model_serialize(ModelObject *self, PyObject *unused)
{
    (void)unused;
    unsigned char *buf = NULL;
    size_t size = 0;
    ntk_error err = {0};
    if (ntk_model_serialize(self->m, &buf, &size, &err) != NTK_OK)
        return raise_ntk(&err);
    PyObject *b = PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)size);
    free(buf);
    return b;
}

static PyObject *doubles_list(const double *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *x = PyFloat_FromDouble(v[i]);
        if (!x) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

static PyObject *strings_list(char *const *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *x = PyUnicode_DecodeUTF8(v[i], (Py_ssize_t)strlen(v[i]), "replace");
        if (!x) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

/* Put key → value (stealing value) into d; 0 on failure. */
static int put(PyObject *d, const char *key, PyObject *v)
{
    if (!v)
        return 0;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc == 0;
}

/* Everything the Python layer reports about a fitted model. */
static PyObject *model_info(ModelObject *self, PyObject *unused)
{
    (void)unused;
    const ntk_model *m = self->m;
    const ntk_encoder *e = m->encoder;
    char act[128];
    ntk_activation_format(&m->arch.act, act, sizeof act);
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    PyObject *cols = PyList_New((Py_ssize_t)e->n_columns);
    if (!cols) {
        Py_DECREF(d);
        return NULL;
    }
    for (size_t j = 0; j < e->n_columns; j++) {
        const ntk_encoded_column *c = &e->columns[j];
        PyObject *t = Py_BuildValue("(ssnn)", c->name, ntk_column_type_name(c->type),
                                    (Py_ssize_t)c->n_features, (Py_ssize_t)c->n_missing);
        if (!t) {
            Py_DECREF(cols);
            Py_DECREF(d);
            return NULL;
        }
        PyList_SET_ITEM(cols, (Py_ssize_t)j, t);
    }
    int ok = put(d, "columns", cols) &&
             put(d, "task", PyUnicode_FromString(ntk_task_name(m->task))) &&
             put(d, "k", PyLong_FromSize_t(m->k)) && put(d, "n", PyLong_FromSize_t(m->n)) &&
             put(d, "d", PyLong_FromSize_t(m->d)) &&
             put(d, "times", doubles_list(m->times, m->n_times)) &&
             put(d, "class_labels", e->n_classes ? strings_list(e->class_labels, e->n_classes)
                                                 : PyList_New(0)) &&
             put(d, "target", e->has_target
                                  ? PyUnicode_FromString(e->columns[e->target_column].name)
                                  : (Py_INCREF(Py_None), Py_None)) &&
             put(d, "depth", PyLong_FromLong(m->arch.depth)) &&
             put(d, "act", PyUnicode_FromString(act)) &&
             put(d, "w_std", PyFloat_FromDouble(m->arch.w_std)) &&
             put(d, "b_std", PyFloat_FromDouble(m->arch.b_std)) &&
             put(d, "fixed_layers", PyLong_FromLong(m->arch.fixed_layers)) &&
             put(d, "kind", PyUnicode_FromString(m->kind == NTK_KIND_NTK ? "ntk" : "nngp")) &&
             put(d, "reg", PyFloat_FromDouble(m->reg)) &&
             put(d, "reg_scale", PyUnicode_FromString(m->reg_scale == NTK_REG_RELATIVE
                                                          ? "relative" : "absolute")) &&
             put(d, "reg_abs", PyFloat_FromDouble(m->reg_abs)) &&
             put(d, "lr", PyFloat_FromDouble(m->lr)) &&
             put(d, "time_scale", PyUnicode_FromString(m->time_scale == NTK_TIME_MEAN ? "mean"
                                                                                      : "sum")) &&
             put(d, "standardize", PyUnicode_FromString(
                                       e->standardize == NTK_STANDARDIZE_NONE       ? "none"
                                       : e->standardize == NTK_STANDARDIZE_BALANCED ? "balanced"
                                                                                    : "zscore")) &&
             put(d, "y_mean", PyFloat_FromDouble(m->y_mean)) &&
             put(d, "y_scale", PyFloat_FromDouble(m->y_scale)) &&
             put(d, "jitter", PyFloat_FromDouble(m->jitter)) &&
             put(d, "n_clamped", PyLong_FromSize_t(m->n_clamped)) &&
             put(d, "most_negative", PyFloat_FromDouble(m->most_negative)) &&
             put(d, "mean_diag", PyFloat_FromDouble(m->mean_diag)) &&
             put(d, "used_eigen", PyBool_FromLong(m->used_eigen)) &&
             put(d, "used_chebyshev", PyBool_FromLong(m->used_chebyshev)) &&
             put(d, "seconds_kernel", PyFloat_FromDouble(m->seconds_kernel)) &&
             put(d, "seconds_solve", PyFloat_FromDouble(m->seconds_solve));
    if (!ok) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyMethodDef model_methods[] = {
    {"predict", (PyCFunction)model_predict, METH_VARARGS,
     "predict(columns, names, threads=0) -> scores (n_times, m, k)"},
    {"variance", (PyCFunction)model_variance, METH_VARARGS,
     "variance(columns, names, threads=0) -> latent variances (n_times, m)"},
    {"serialize", (PyCFunction)model_serialize, METH_NOARGS,
     "serialize() -> bytes of the model file"},
    {"info", (PyCFunction)model_info, METH_NOARGS, "info() -> dict describing the model"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ntk._ntk.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A fitted libntk model (ntk_model).",
    .tp_methods = model_methods,
};

/* ------------------------------------------------------------ fitting */

/* Selection options (dict) → ntk_select_params; owned arrays in *keep. */
typedef struct {
    double *b, *reg, *tau, *C;
    ntk_activation acts[16];
} select_keep;

static int parse_select(PyObject *d, ntk_select_params *p, select_keep *k)
{
    static const char *const ties[] = {"mse", "simpler", NULL};
    static const char *const losses[] = {"square", "hinge", "auto", NULL};
    static const char *const scales[] = {"relative", "absolute", "published", NULL};
    ntk_select_params_init(p);
    memset(k, 0, sizeof *k);
    long max_depth = p->max_depth, folds = (long)p->folds, nngp = 1, sweep = 1;
    long max_rows = (long)p->max_rows, hk = (long)p->hinge_kernels;
    int tie = 0, loss = 0, scale = 0;
    if (!dict_choice(d, "loss", losses, &loss) || !dict_choice(d, "c_scale", scales, &scale) ||
        !dict_int(d, "hinge_kernels", &hk))
        return 0;
    if (hk < 0) {
        PyErr_SetString(PyExc_ValueError, "select: hinge_kernels must be >= 0 (0: every kernel)");
        return 0;
    }
    p->loss = (ntk_select_loss)loss; /* square, hinge, auto: the enum's order */
    p->c_scale = (ntk_c_scale)scale;
    p->hinge_kernels = (size_t)hk;
    PyObject *cg = PyDict_GetItemString(d, "C_grid");
    if (cg && cg != Py_None) {
        if (!seq_doubles(cg, "select: C_grid must be a sequence of numbers", &k->C, &p->n_C))
            return 0;
        p->C_grid = k->C;
    }
    if (!dict_int(d, "max_depth", &max_depth) || !dict_int(d, "folds", &folds) ||
        !dict_int(d, "max_rows", &max_rows) ||
        !dict_int(d, "nngp", &nngp) || !dict_int(d, "sweep_fixed", &sweep) ||
        !dict_choice(d, "tie_break", ties, &tie))
        return 0;
    if (max_depth < 1 || max_depth > 50 || folds == 1 || folds < 0 || folds > 100) {
        PyErr_SetString(PyExc_ValueError, "select: max_depth must be in 1..50, folds 0 (leave-one-out) or 2..100");
        return 0;
    }
    if (max_rows < 0) {
        PyErr_SetString(PyExc_ValueError, "select: max_rows must be >= 0 (0: every row)");
        return 0;
    }
    p->max_depth = (int)max_depth;
    p->folds = (size_t)folds;
    p->max_rows = (size_t)max_rows;
    p->try_nngp = nngp != 0;
    p->sweep_fixed = sweep != 0;
    p->tie_break = (ntk_tie_break)tie;
    struct {
        const char *key;
        double **dst;
        const double **grid;
        size_t *n;
    } grids[3] = {{"b_grid", &k->b, &p->b_stds, &p->n_b_stds},
                  {"reg_grid", &k->reg, &p->regs, &p->n_regs},
                  {"time_grid", &k->tau, &p->taus, &p->n_taus}};
    for (int g = 0; g < 3; g++) {
        PyObject *v = PyDict_GetItemString(d, grids[g].key);
        if (!v || v == Py_None)
            continue;
        if (!seq_doubles(v, "select grids must be sequences of numbers", grids[g].dst, grids[g].n))
            return 0;
        *grids[g].grid = *grids[g].dst;
        if (*grids[g].n == 0) {
            PyErr_Format(PyExc_ValueError, "select: %s is empty", grids[g].key);
            return 0;
        }
    }
    PyObject *acts = PyDict_GetItemString(d, "acts");
    if (acts && acts != Py_None) {
        PyObject *f = PySequence_Fast(acts, "select: acts must be a list of activation names");
        if (!f)
            return 0;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(f);
        if (n < 1 || n > 16) {
            Py_DECREF(f);
            PyErr_SetString(PyExc_ValueError, "select: acts needs 1 to 16 activations");
            return 0;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            const char *s = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(f, i));
            ntk_error err = {0};
            if (!s || ntk_activation_parse(s, &k->acts[i], &err) != NTK_OK) {
                Py_DECREF(f);
                return s ? (raise_ntk(&err), 0) : 0;
            }
        }
        Py_DECREF(f);
        p->acts = k->acts;
        p->n_acts = (size_t)n;
    }
    return 1;
}

static PyObject *selection_dict(const ntk_select_result *r, size_t folds)
{
    char act[128];
    ntk_activation_format(&r->arch.act, act, sizeof act);
    return Py_BuildValue("{s:s,s:i,s:s,s:d,s:d,s:i,s:d,s:d,s:d,s:d,s:d,s:n,s:n,s:n,s:d,s:s,s:d}",
                         "kind",
                         r->kind == NTK_KIND_NTK ? "ntk" : "nngp", "depth", r->arch.depth, "act",
                         act, "w_std", r->arch.w_std, "b_std", r->arch.b_std, "fixed_layers",
                         r->arch.fixed_layers, "reg", r->reg_rel, "tau", r->tau, "time", r->time,
                         "score", r->score, "mse", r->mse, "candidates",
                         (Py_ssize_t)r->n_candidates, "kernels", (Py_ssize_t)r->n_kernels,
                         "folds", (Py_ssize_t)folds, "seconds", r->seconds, "loss",
                         r->hinge ? "hinge" : "square", "C", r->C);
}

/* fit(columns, names, encode_opts, train_params, select_opts or None, seed)
 *   → (Model, selection dict or None) */
static PyObject *py_fit(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *items, *names, *eo, *tp, *so;
    unsigned long long seed = 0;
    if (!PyArg_ParseTuple(args, "OOO!O!OK", &items, &names, &PyDict_Type, &eo, &PyDict_Type, &tp,
                          &so, &seed))
        return NULL;
    ntk_encode_options enc_opt;
    ntk_train_params p;
    double *times = NULL;
    ntk_select_params sp;
    select_keep keep = {0};
    int do_select = so != Py_None;
    if (do_select && !PyDict_Check(so)) {
        PyErr_SetString(PyExc_TypeError, "select options must be a dict or None");
        return NULL;
    }
    PyObject *result = NULL;
    ntk_table *t = NULL;
    if (!parse_encode(eo, &enc_opt) || !parse_train(tp, &p, &times) ||
        (do_select && !parse_select(so, &sp, &keep)))
        goto out;
    if (!(t = columns_table(items, names, "X")))
        goto out;
    ntk_encoder *enc = NULL;
    ntk_dataset *ds = NULL;
    ntk_model *m = NULL;
    ntk_select_result sr;
    memset(&sr, 0, sizeof sr);
    ntk_error err = {0};
    ntk_status st;
    thread_save ts = {0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    threads_push(&ts, p.threads);
    st = ntk_encoder_fit(t, &enc_opt, &enc, &err);
    if (st == NTK_OK)
        st = ntk_encoder_apply(enc, t, 1, &ds, &err);
    ntk_table_free(t);
    if (st == NTK_OK && do_select) {
        sp.w_std = p.arch.w_std;
        sp.seed = (uint64_t)seed;
        sp.threads = p.threads;
        sp.progress = interruptible;
        sp.svm.eps = p.svm.eps;
        st = ntk_select(ds->X, ds->n, ds->d, ds->y, enc->task, enc->n_classes, &sp, &sr, &err);
        if (st == NTK_OK) {
            /* as `ntk fit --select`: the winners, relative ridge, mean time scale */
            p.arch = sr.arch;
            p.kind = sr.kind;
            p.solve.reg = sr.reg_rel;
            p.solve.reg_scale = NTK_REG_RELATIVE;
            p.solve.time_scale = NTK_TIME_MEAN;
            times[0] = sr.time;
            p.solve.n_times = 1;
            p.loss = sr.hinge ? NTK_LOSS_HINGE : NTK_LOSS_SQUARE;
            if (sr.hinge)
                p.svm.C = sr.C;
        }
    }
    if (st == NTK_OK) {
        st = ntk_model_train(ds, enc, &p, &m, NULL, &err);
        enc = NULL; /* the model owns it, also on failure */
    }
    threads_pop(&ts);
    ntk_encoder_free(enc);
    ntk_dataset_free(ds);
    Py_END_ALLOW_THREADS
    if (st != NTK_OK) {
        raise_ntk(&err);
        goto out;
    }
    PyObject *model = model_wrap(m);
    PyObject *sel = do_select ? selection_dict(&sr, sp.split ? 1 : sp.folds)
                              : (Py_INCREF(Py_None), Py_None);
    if (model && sel)
        result = PyTuple_Pack(2, model, sel);
    Py_XDECREF(model);
    Py_XDECREF(sel);
out:
    free(times);
    free(keep.b);
    free(keep.reg);
    free(keep.tau);
    free(keep.C);
    return result;
}

/* deserialize(bytes, name) → Model */
static PyObject *py_deserialize(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer b;
    const char *name = "(bytes)";
    if (!PyArg_ParseTuple(args, "y*|s", &b, &name))
        return NULL;
    ntk_model *m = NULL;
    ntk_error err = {0};
    ntk_status st = ntk_model_deserialize(b.buf, (size_t)b.len, name, &m, &err);
    PyBuffer_Release(&b);
    if (st != NTK_OK)
        return raise_ntk(&err);
    return model_wrap(m);
}

/* load(path) → Model */
static PyObject *py_load(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path))
        return NULL;
    ntk_model *m = NULL;
    ntk_error err = {0};
    ntk_status st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = ntk_model_load(p, &m, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != NTK_OK)
        return raise_ntk(&err);
    return model_wrap(m);
}

/* A 2-D C-contiguous float64 array (the Python layer made sure). */
static int as_matrix(PyObject *o, PyArrayObject **out)
{
    if (!PyArray_Check(o) || PyArray_TYPE((PyArrayObject *)o) != NPY_DOUBLE ||
        PyArray_NDIM((PyArrayObject *)o) != 2 || !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)o)) {
        PyErr_SetString(PyExc_TypeError, "expected a C-contiguous 2-D float64 array");
        return 0;
    }
    *out = (PyArrayObject *)o;
    return 1;
}

/* kernel(X, Y or None, params) → the n1×n2 kernel matrix. */
static PyObject *py_kernel(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *xo, *yo, *po;
    if (!PyArg_ParseTuple(args, "OOO!", &xo, &yo, &PyDict_Type, &po))
        return NULL;
    PyArrayObject *X, *Y = NULL;
    if (!as_matrix(xo, &X) || (yo != Py_None && !as_matrix(yo, &Y)))
        return NULL;
    ntk_arch a;
    ntk_kernel_kind kind;
    long threads = 0;
    if (!parse_arch(po, &a, &kind) || !dict_int(po, "threads", &threads))
        return NULL;
    size_t n1 = (size_t)PyArray_DIM(X, 0), d = (size_t)PyArray_DIM(X, 1);
    size_t n2 = Y ? (size_t)PyArray_DIM(Y, 0) : n1;
    if (Y && (size_t)PyArray_DIM(Y, 1) != d) {
        PyErr_Format(PyExc_ValueError, "X has %zu features but Y has %zd", d,
                     (Py_ssize_t)PyArray_DIM(Y, 1));
        return NULL;
    }
    if (d == 0) {
        PyErr_SetString(PyExc_ValueError, "X has no features");
        return NULL;
    }
    npy_intp dims[2] = {(npy_intp)n1, (npy_intp)n2};
    PyObject *out = new_array(2, dims);
    if (!out)
        return NULL;
    if (n1 == 0 || n2 == 0)
        return out;
    ntk_kernel_options ko = {(int)threads, interruptible};
    ntk_error err = {0};
    ntk_status st;
    thread_save ts = {0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    threads_push(&ts, (int)threads);
    st = ntk_kernel_eval(&a, kind, PyArray_DATA(X), n1, Y ? PyArray_DATA(Y) : NULL, n2, d,
                         PyArray_DATA((PyArrayObject *)out), &ko, &err);
    threads_pop(&ts);
    Py_END_ALLOW_THREADS
    if (st != NTK_OK) {
        Py_DECREF(out);
        return raise_ntk(&err);
    }
    return out;
}

static PyObject *py_blas_info(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("{s:s,s:s,s:i,s:i}", "config", openblas_get_config(), "core",
                         openblas_get_corename(), "blas_threads", openblas_get_num_threads(),
                         "omp_threads", omp_get_max_threads());
}

#include "_ntk_compare.h"

static PyMethodDef module_methods[] = {
    {"fit", py_fit, METH_VARARGS,
     "fit(columns, names, encode_opts, train_params, select_opts, seed) -> (Model, selection)"},
    {"deserialize", py_deserialize, METH_VARARGS, "deserialize(bytes, name) -> Model"},
    {"load", py_load, METH_VARARGS, "load(path) -> Model"},
    {"kernel", py_kernel, METH_VARARGS, "kernel(X, Y, params) -> ndarray"},
    {"compare", py_compare, METH_VARARGS, COMPARE_DOC},
    {"blas_info", py_blas_info, METH_NOARGS, "blas_info() -> dict"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_ntk", "CPython extension over libntk (see ntk/__init__.py).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ntk(void)
{
    import_array();
    if (PyType_Ready(&ModelType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    NTKError = PyErr_NewExceptionWithDoc("ntk.NTKError",
                                         "A libntk failure that is not bad input, memory or I/O "
                                         "(numerical failure, interrupted work).",
                                         PyExc_RuntimeError, NULL);
    Py_INCREF(&ModelType);
    if (!NTKError || PyModule_AddObject(m, "NTKError", NTKError) < 0 ||
        PyModule_AddObject(m, "Model", (PyObject *)&ModelType) < 0 ||
        PyModule_AddStringConstant(m, "version", NTK_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
