/* ARGO metric records decoded from Avro blocks straight into Arrow column buffers (see
 * avro_columns.py, which compiles the writer's schema into the field program and builds the
 * pyarrow arrays). Why: fastavro builds a Python dict per record (10 fields, a tag map) and the
 * sorter then takes each apart again; a day of 1.9M records spent most of its ingest there.
 *
 * decode(blocks, counts, fields) -> (columns, rows, failed)
 *   blocks: list of buffers (bytes, memoryview), each one decompressed block's records
 *   counts: list of int, the records each block declares
 *   fields: tuple of (type, null_branch, value_null_branch) per writer field, in order:
 *     type 0 a string, 1 a map of strings (its raw Avro bytes are the column value);
 *     null_branch -1 for a plain value, else the union branch (0 or 1) that is null, the other
 *     being the value; value_null_branch the same for a map's values.
 *   columns: per field (offsets: bytes of int32, data: bytes, validity: bytes bitmap, nulls)
 *   failed: list of (block index, reason); a failed block adds no row (its partial rows are
 *   rolled back), so each intact block's records are exactly as fastavro reads them.
 *
 * A block fails when a value runs past its end, a length is negative, a union branch is out of
 * range, a string (or a map key or value) is not strict UTF-8 (fastavro raises on those), or
 * bytes are left over after its declared records.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* a growing bytes object: the column's buffer is handed to Python as it is, never copied */
typedef struct {
    PyObject *bytes;
    char *data;
    Py_ssize_t size, capacity;
} Buffer;

static int reserve(Buffer *b, Py_ssize_t extra) {
    if (b->size + extra <= b->capacity) return 0;
    Py_ssize_t capacity = b->capacity ? b->capacity : 4096;
    while (capacity < b->size + extra) capacity *= 2;
    if (!b->bytes) {
        b->bytes = PyBytes_FromStringAndSize(NULL, capacity);
        if (!b->bytes) return -1;
    } else if (_PyBytes_Resize(&b->bytes, capacity) < 0) {
        return -1; /* the old object is gone: nothing to free */
    }
    b->data = PyBytes_AS_STRING(b->bytes);
    b->capacity = capacity;
    return 0;
}

/* the buffer's bytes, trimmed to its size (a new reference; the buffer is left empty) */
static PyObject *take_bytes(Buffer *b) {
    PyObject *out = b->bytes;
    if (!out) return PyBytes_FromStringAndSize("", 0);
    if (_PyBytes_Resize(&out, b->size) < 0) out = NULL;
    b->bytes = NULL;
    b->data = NULL;
    b->size = b->capacity = 0;
    return out;
}

typedef struct {
    int type, null_branch, value_null_branch;
    Buffer offsets; /* int32 */
    Buffer data;
    Buffer validity; /* one bit per row */
    Py_ssize_t nulls;
} Column;

typedef struct {
    const unsigned char *pos, *end;
    const char *error;
} Cursor;

static int read_long(Cursor *c, int64_t *out) {
    uint64_t value = 0;
    int shift = 0;
    while (1) {
        if (c->pos >= c->end) {
            c->error = "the block ends inside a number";
            return -1;
        }
        unsigned char byte = *c->pos++;
        if (shift < 64) {
            value |= (uint64_t)(byte & 0x7F) << shift;
        } else if (byte & 0x7F) { /* zero groups past 64 bits pad a number (fastavro reads them) */
            c->error = "a number longer than 64 bits";
            return -1;
        }
        if (!(byte & 0x80)) break;
        shift += 7;
    }
    *out = (int64_t)(value >> 1) ^ -(int64_t)(value & 1);
    return 0;
}

/* strict UTF-8 as Python's decoder: no overlongs, no surrogates, nothing past U+10FFFF */
static int valid_utf8(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            /* runs of ASCII, eight bytes at a time */
            while (i + 8 <= n) {
                uint64_t word;
                memcpy(&word, s + i, 8);
                if (word & 0x8080808080808080ULL) break;
                i += 8;
            }
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && s[i + 1] < 0xA0) return 0;  /* overlong */
            if (c == 0xED && s[i + 1] > 0x9F) return 0;  /* a surrogate */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if (c == 0xF0 && s[i + 1] < 0x90) return 0;  /* overlong */
            if (c == 0xF4 && s[i + 1] > 0x8F) return 0;  /* past U+10FFFF */
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* a string's bytes: (start, length) after checking they are there and are UTF-8 */
static int read_string(Cursor *c, const unsigned char **start, int64_t *length) {
    if (read_long(c, length) < 0) return -1;
    if (*length < 0) {
        c->error = "a negative string length";
        return -1;
    }
    if (*length > c->end - c->pos) {
        c->error = "the block ends inside a string";
        return -1;
    }
    if (!valid_utf8(c->pos, (Py_ssize_t)*length)) {
        c->error = "a string is not valid UTF-8";
        return -1;
    }
    *start = c->pos;
    c->pos += *length;
    return 0;
}

/* which branch a union takes: 1 the value, 0 null (null_branch -1: no union, always the value) */
static int read_branch(Cursor *c, int null_branch, int *present) {
    if (null_branch < 0) {
        *present = 1;
        return 0;
    }
    int64_t branch;
    if (read_long(c, &branch) < 0) return -1;
    if (branch < 0) branch += 2; /* -1 and -2 name the last and first branch, as fastavro reads */
    if (branch != 0 && branch != 1) {
        c->error = "a union branch out of range";
        return -1;
    }
    *present = branch != null_branch;
    return 0;
}

static int skip_map(Cursor *c, int value_null_branch) {
    while (1) {
        int64_t count, size;
        if (read_long(c, &count) < 0) return -1;
        if (count == 0) return 0;
        if (count < 0) {
            if (count == INT64_MIN) {
                c->error = "an implausible map block count";
                return -1;
            }
            count = -count;
            if (read_long(c, &size) < 0) return -1;
        }
        if (count > c->end - c->pos) { /* every entry takes at least one byte */
            c->error = "the block ends inside a map";
            return -1;
        }
        for (int64_t k = 0; k < count; k++) {
            const unsigned char *s;
            int64_t n;
            int present;
            if (read_string(c, &s, &n) < 0) return -1;
            if (read_branch(c, value_null_branch, &present) < 0) return -1;
            if (present && read_string(c, &s, &n) < 0) return -1;
        }
    }
}

static int append_row(Column *col, const unsigned char *start, Py_ssize_t length, int present,
                      Py_ssize_t row) {
    if (reserve(&col->validity, 1) < 0 || reserve(&col->offsets, 4) < 0 ||
        (present && reserve(&col->data, length) < 0))
        return -1;
    if ((row & 7) == 0) col->validity.data[col->validity.size++] = 0;
    if (present) {
        if (col->data.size + length > INT32_MAX) return -2;
        if (length) memcpy(col->data.data + col->data.size, start, (size_t)length);
        col->data.size += length;
        col->validity.data[row >> 3] |= (char)(1 << (row & 7));
    } else {
        col->nulls++;
    }
    int32_t end = (int32_t)col->data.size;
    memcpy(col->offsets.data + col->offsets.size, &end, 4);
    col->offsets.size += 4;
    return 0;
}

static void free_columns(Column *columns, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_XDECREF(columns[i].offsets.bytes);
        Py_XDECREF(columns[i].data.bytes);
        Py_XDECREF(columns[i].validity.bytes);
    }
    free(columns);
}

typedef struct {
    Py_ssize_t offsets, data, validity, nulls;
} Mark;

static PyObject *decode(PyObject *self, PyObject *args) {
    PyObject *blocks, *counts, *fields;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &blocks, &PyList_Type, &counts,
                          &PyTuple_Type, &fields))
        return NULL;
    Py_ssize_t nblocks = PyList_GET_SIZE(blocks), nfields = PyTuple_GET_SIZE(fields);
    if (PyList_GET_SIZE(counts) != nblocks) {
        PyErr_SetString(PyExc_ValueError, "one count per block");
        return NULL;
    }
    Column *columns = calloc((size_t)(nfields ? nfields : 1), sizeof(Column));
    Mark *marks = calloc((size_t)(nfields ? nfields : 1), sizeof(Mark));
    PyObject *failed = PyList_New(0);
    if (!columns || !marks || !failed) goto nomemory;
    for (Py_ssize_t f = 0; f < nfields; f++) {
        Column *col = &columns[f];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, f), "iii", &col->type, &col->null_branch,
                              &col->value_null_branch))
            goto fail;
        if (reserve(&col->offsets, 4) < 0) goto nomemory;
        memset(col->offsets.data, 0, 4);
        col->offsets.size = 4;
    }
    Py_ssize_t rows = 0;
    for (Py_ssize_t b = 0; b < nblocks; b++) {
        int64_t count = PyLong_AsLongLong(PyList_GET_ITEM(counts, b));
        if (count == -1 && PyErr_Occurred()) goto fail;
        Py_buffer view; /* bytes, or a memoryview of the file (no copy of an uncompressed block) */
        if (PyObject_GetBuffer(PyList_GET_ITEM(blocks, b), &view, PyBUF_SIMPLE) < 0) goto fail;
        Cursor c = {(const unsigned char *)view.buf, (const unsigned char *)view.buf + view.len,
                    NULL};
        Py_ssize_t first_row = rows;
        for (Py_ssize_t f = 0; f < nfields; f++)
            marks[f] = (Mark){columns[f].offsets.size, columns[f].data.size,
                              columns[f].validity.size, columns[f].nulls};
        for (int64_t r = 0; r < count && !c.error; r++, rows++) {
            for (Py_ssize_t f = 0; f < nfields && !c.error; f++) {
                Column *col = &columns[f];
                int present;
                const unsigned char *start = c.pos;
                int64_t length = 0;
                if (read_branch(&c, col->null_branch, &present) < 0) break;
                if (present) {
                    if (col->type == 0) {
                        if (read_string(&c, &start, &length) < 0) break;
                    } else {
                        start = c.pos;
                        if (skip_map(&c, col->value_null_branch) < 0) break;
                        length = c.pos - start;
                    }
                }
                int appended = append_row(col, start, (Py_ssize_t)length, present, rows);
                if (appended == -1) {
                    PyBuffer_Release(&view);
                    goto fail; /* the error is set */
                }
                if (appended == -2) c.error = "a column over 2 GiB";
            }
        }
        if (!c.error && c.pos != c.end) c.error = "bytes left after the block's records";
        PyBuffer_Release(&view);
        if (c.error) {
            for (Py_ssize_t f = 0; f < nfields; f++) {
                columns[f].offsets.size = marks[f].offsets;
                columns[f].data.size = marks[f].data;
                columns[f].validity.size = marks[f].validity;
                columns[f].nulls = marks[f].nulls;
                /* the first row's bits may share a byte with the block before: clear the rest */
                if (first_row & 7)
                    columns[f].validity.data[first_row >> 3] &= (char)((1 << (first_row & 7)) - 1);
            }
            rows = first_row;
            PyObject *item = Py_BuildValue("(ns)", b, c.error);
            if (!item || PyList_Append(failed, item) < 0) {
                Py_XDECREF(item);
                goto fail;
            }
            Py_DECREF(item);
        }
    }
    PyObject *out = PyList_New(nfields);
    if (!out) goto fail;
    for (Py_ssize_t f = 0; f < nfields; f++) {
        Column *col = &columns[f];
        PyObject *offsets = take_bytes(&col->offsets), *data = take_bytes(&col->data);
        PyObject *validity = take_bytes(&col->validity);
        PyObject *item = (offsets && data && validity)
                             ? Py_BuildValue("(NNNn)", offsets, data, validity, col->nulls)
                             : NULL;
        if (!item) {
            if (!(offsets && data && validity)) {
                Py_XDECREF(offsets);
                Py_XDECREF(data);
                Py_XDECREF(validity);
            }
            Py_DECREF(out);
            goto fail;
        }
        PyList_SET_ITEM(out, f, item);
    }
    free_columns(columns, nfields);
    free(marks);
    return Py_BuildValue("(NnN)", out, rows, failed);
nomemory:
    PyErr_NoMemory();
fail:
    if (columns) free_columns(columns, nfields);
    free(marks);
    Py_XDECREF(failed);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS, "Avro blocks of a record of strings and maps -> column buffers"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_avro_columns", NULL, -1, methods};

PyMODINIT_FUNC PyInit__avro_columns(void) { return PyModule_Create(&module); }
