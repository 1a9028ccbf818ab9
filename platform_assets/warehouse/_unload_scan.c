/* The unload reader's record scan (see unload_scan.py): one pass over a part's bytes that splits
 * it into records and marks the records that certainly follow the UNLOAD grammar of
 * unload_format.py (fields "..." or \N joined by |, escapes \\ \| \" \' \<LF> \<CR>, LF or CRLF
 * line ends, no raw CR, NUL or sentinel byte). Every other record is left to the exact parser,
 * which names the fault. UTF-8 validity is checked by the caller.
 *
 * scan(payload: bytes, columns: int) -> (starts, ends, lines, clean, escaped_lf, escaped_cr)
 * as bytes holding int64 arrays (clean: one byte per record).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t *data;
    Py_ssize_t size, capacity;
} Positions;

static int push(Positions *p, int64_t value) {
    if (p->size == p->capacity) {
        Py_ssize_t capacity = p->capacity ? p->capacity * 2 : 1024;
        int64_t *grown = realloc(p->data, (size_t)capacity * sizeof(int64_t));
        if (!grown) return -1;
        p->data = grown;
        p->capacity = capacity;
    }
    p->data[p->size++] = value;
    return 0;
}

static PyObject *as_bytes(const void *data, Py_ssize_t count, Py_ssize_t width) {
    return PyBytes_FromStringAndSize(count ? (const char *)data : "", count * width);
}

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "y*n", &view, &columns)) return NULL;
    const unsigned char *buf = view.buf;
    const Py_ssize_t size = view.len;

    Py_ssize_t bound = 1;
    for (const unsigned char *at = buf; (at = memchr(at, '\n', buf + size - at)); at++) bound++;
    int64_t *starts = malloc((size_t)bound * sizeof(int64_t));
    int64_t *ends = malloc((size_t)bound * sizeof(int64_t));
    int64_t *lines = malloc((size_t)bound * sizeof(int64_t));
    unsigned char *clean = malloc((size_t)bound);
    Positions escaped_lf = {0}, escaped_cr = {0};
    Py_ssize_t records = 0;
    int failed = !starts || !ends || !lines || !clean;

    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = 0;
    int64_t line = 1;
    while (!failed && i < size) {
        const Py_ssize_t start = i;
        const int64_t first_line = line;
        Py_ssize_t fields = 0;
        int ok = 1, done = 0;
        enum { FIELD_START, IN_QUOTE, AFTER_FIELD } state = FIELD_START;
        /* the grammar, as long as the record is clean */
        while (ok && !done && i < size) {
            const unsigned char c = buf[i];
            if (state == FIELD_START) {
                if (c == '"') {
                    state = IN_QUOTE;
                    fields++;
                    i++;
                } else if (c == '\\' && i + 1 < size && buf[i + 1] == 'N') {
                    state = AFTER_FIELD;
                    fields++;
                    i += 2;
                } else {
                    ok = 0;
                }
            } else if (state == IN_QUOTE) {
                if (c == '"') {
                    state = AFTER_FIELD;
                    i++;
                } else if (c == '\\') {
                    if (i + 1 >= size) {
                        ok = 0;
                        break;
                    }
                    const unsigned char e = buf[i + 1];
                    if (e == '\n') {
                        if (push(&escaped_lf, i + 1)) failed = 1;
                        line++;
                    } else if (e == '\r') {
                        if (push(&escaped_cr, i + 1)) failed = 1;
                    } else if (e != '\\' && e != '|' && e != '"' && e != '\'') {
                        ok = 0;
                        break;
                    }
                    i += 2;
                } else if (c == '\n' || c == '\r' || c == 0 || c == 0x1e || c == 0x1f) {
                    ok = 0;
                } else {
                    i++;
                }
            } else { /* AFTER_FIELD */
                if (c == '|') {
                    state = FIELD_START;
                    i++;
                } else if (c == '\n') {
                    done = 1;
                } else if (c == '\r' && (i + 1 == size || buf[i + 1] == '\n')) {
                    i++; /* CRLF: the CR belongs to the line end */
                    done = 1;
                } else {
                    ok = 0;
                }
            }
        }
        if (ok && !done) ok = (state == AFTER_FIELD); /* the payload ended inside the record */
        if (ok && fields != columns) ok = 0;
        /* a faulty record: skip to its end, an unescaped line feed */
        if (!ok) {
            while (i < size && buf[i] != '\n') {
                if (buf[i] == '\\' && i + 1 < size) {
                    if (buf[i + 1] == '\n') line++;
                    i += 2;
                } else {
                    i++;
                }
            }
        }
        starts[records] = start;
        ends[records] = i; /* the line feed, or the payload's size */
        lines[records] = first_line;
        clean[records] = (unsigned char)ok;
        records++;
        if (i < size) { /* step over the line feed */
            i++;
            line++;
        }
    }
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&view);
    PyObject *result = NULL;
    if (failed) {
        PyErr_NoMemory();
    } else {
        result = Py_BuildValue(
            "(NNNNNN)", as_bytes(starts, records, 8), as_bytes(ends, records, 8),
            as_bytes(lines, records, 8), as_bytes(clean, records, 1),
            as_bytes(escaped_lf.data, escaped_lf.size, 8),
            as_bytes(escaped_cr.data, escaped_cr.size, 8));
    }
    free(starts);
    free(ends);
    free(lines);
    free(clean);
    free(escaped_lf.data);
    free(escaped_cr.data);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Split an unload part into records and mark the clean ones."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_unload_scan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__unload_scan(void) { return PyModule_Create(&module); }
