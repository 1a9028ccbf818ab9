/* A telemetry event's JSON text checked against its eid's schema and its row read, in one pass
 * over the bytes, without building the event: the hour step's fast accept (see native_reader.py).
 *
 * Reader(nodes, roots, forbidden) takes a schema program compiled by native_reader.compile_program;
 * Reader.read(text, syncts, stamp) returns (row, stamped text) when the event is accepted, else None.
 * Accepted means: the text is one JSON object as RFC 8259 and orjson read it (UTF-8 checked, no lone
 * surrogate escapes, no number that overflows a double, nesting within MAX_DEPTH), its first member is
 * "eid" naming a compiled schema, and the schema holds. Anything this reader does not decide
 * cheaply is refused (None), never guessed: escapes in a member name or in a string that a
 * constraint or the row reads, integers of more than MAX_DIGITS digits, numbers longer than MAX_NUMBER_CHARS, a declared member given twice,
 * an integral number written with a fraction or exponent where only "integer" is allowed, the
 * extractor's own top-level members. A refused event goes on to the slower, exact paths. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { T_STRING = 1, T_NUMBER = 2, T_INTEGER = 4, T_BOOLEAN = 8, T_NULL = 16, T_OBJECT = 32, T_ARRAY = 64 };
#define MAX_DEPTH 64
#define MAX_DIGITS 18   /* of an integer: every integer of 18 digits fits in 64 bits */
#define MAX_NUMBER_CHARS 48 /* without an exponent, below 1e48: finite */
#define MAX_PROPS 64
/* the row's members, by slot (native_reader.ROW_SLOTS): mid, ets, actor.id, actor.type,
 * context.channel, context.pdata.id, context.sid, context.did, object.id */
#define SLOTS 9
#define SLOT_ETS 1

typedef struct {
    char *name;
    Py_ssize_t len;
    int node;  /* -1: any value */
    int slot;  /* -1: not read into the row */
} Prop;

typedef struct {
    int types;
    Py_ssize_t min_len, max_len; /* -1: none */
    int has_min, has_max;
    double minimum, maximum;
    int n_enum;
    char **enum_s;
    Py_ssize_t *enum_len;
    int n_props;
    Prop *props;
    uint64_t required;
    int items; /* -1: any value */
    int closed; /* additionalProperties: false */
} Node;

typedef struct {
    const unsigned char *start;
    Py_ssize_t len;
    int present;
    int ascii;
    int integral;
    int digits;
} Capture;

typedef struct {
    const unsigned char *p, *end;
    int depth;
    Capture caps[SLOTS];
} Cursor;

typedef struct {
    PyObject_HEAD
    Node *nodes;
    int n_nodes;
    int n_roots;
    char **root_s;
    Py_ssize_t *root_len;
    int *root_node;
    PyObject **root_eid;
    int n_forbidden;
    char **forbidden;
    Py_ssize_t *forbidden_len;
} Reader;

static inline void ws(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

static inline int hexval(unsigned char b) {
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

/* Length of the UTF-8 sequence at p (lead byte >= 0x80), 0 when it is not valid UTF-8 (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static int utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned char b = p[0];
    Py_ssize_t left = end - p;
    if (b >= 0xC2 && b <= 0xDF) return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if ((b == 0xE0 && p[1] < 0xA0) || (b == 0xED && p[1] > 0x9F)) return 0;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if ((b == 0xF0 && p[1] < 0x90) || (b == 0xF4 && p[1] > 0x8F)) return 0;
        return 4;
    }
    return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The bytes among the 8 at p that end a plain run of a string (a quote, a backslash, a control
 * character or a non-ASCII byte), as the high bit of each: exact up to the first one, which is all
 * the caller uses (a word at a time: most of an event's bytes are plain text). */
static inline uint64_t specials8(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
    return (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | ((v - ONES * 0x20) & ~v) | v) & HIGHS;
}

typedef struct {
    const unsigned char *start;
    Py_ssize_t len;   /* bytes between the quotes */
    Py_ssize_t chars; /* code points, when not escaped */
    int escaped;
} String;

/* A JSON string at c->p (its opening quote); c->p ends after the closing quote. */
static int read_string(Cursor *c, String *s) {
    const unsigned char *p = c->p + 1, *end = c->end;
    Py_ssize_t continuation = 0;
    s->start = p;
    s->escaped = 0;
    while (p < end) {
        if (end - p >= 8) {
            uint64_t specials = specials8(p);
            if (!specials) {
                p += 8;
                continue;
            }
            p += __builtin_ctzll(specials) >> 3; /* to the first one */
        }
        unsigned char b = *p;
        if (b == '"') {
            s->len = p - s->start;
            s->chars = s->len - continuation;
            c->p = p + 1;
            return 1;
        }
        if (b < 0x20) return 0;
        if (b == '\\') {
            s->escaped = 1;
            if (end - p < 2) return 0;
            unsigned char e = p[1];
            if (e == 'u') {
                unsigned v = 0;
                if (end - p < 6) return 0;
                for (int i = 2; i < 6; i++) {
                    int h = hexval(p[i]);
                    if (h < 0) return 0;
                    v = v * 16 + (unsigned)h;
                }
                if (v >= 0xD800 && v <= 0xDFFF) return 0; /* surrogates: orjson wants them paired; not decided here */
                p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                p += 2;
            } else {
                return 0;
            }
            continue;
        }
        if (b < 0x80) {
            p++;
            continue;
        }
        int n = utf8_len(p, end);
        if (!n) return 0;
        continuation += n - 1;
        p += n;
    }
    return 0;
}

typedef struct {
    const unsigned char *start;
    Py_ssize_t len;
    int integral; /* no fraction, no exponent */
    int digits;   /* of the integer and fraction parts */
    int exponent;
} Number;

static int read_number(Cursor *c, Number *n) {
    const unsigned char *p = c->p, *end = c->end;
    int digits = 0;
    n->start = p;
    n->integral = 1;
    n->exponent = 0;
    if (p < end && *p == '-') p++;
    if (p >= end) return 0;
    if (*p == '0') {
        p++;
        digits = 1;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') { p++; digits++; }
    } else {
        return 0;
    }
    if (p < end && *p == '.') {
        int fraction = 0;
        n->integral = 0;
        p++;
        while (p < end && *p >= '0' && *p <= '9') { p++; fraction++; }
        if (!fraction) return 0;
        digits += fraction;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int exponent = 0;
        n->integral = 0;
        n->exponent = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        while (p < end && *p >= '0' && *p <= '9') { p++; exponent++; }
        if (!exponent) return 0;
    }
    n->len = p - n->start;
    n->digits = digits;
    if ((n->integral && digits > MAX_DIGITS) || n->len > MAX_NUMBER_CHARS) return 0;
    c->p = p;
    return 1;
}

static double number_value(const Number *n) {
    char buffer[MAX_NUMBER_CHARS + 1];
    memcpy(buffer, n->start, (size_t)n->len);
    buffer[n->len] = 0;
    return strtod(buffer, NULL);
}

static int value(const Reader *r, Cursor *c, int node_index, int slot);

static int in_enum(const Node *node, const String *s) {
    for (int i = 0; i < node->n_enum; i++)
        if (node->enum_len[i] == s->len && memcmp(node->enum_s[i], s->start, (size_t)s->len) == 0) return 1;
    return 0;
}

static inline int same_bytes(const char *a, const unsigned char *b, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)a[i] != b[i]) return 0;
    return 1;
}

/* The declared member named `key`, looked for from `hint` on (the one after the member matched
 * last: producers write members in one order, mostly the schema's, so the first try usually hits). */
static const Prop *find_prop(const Node *node, const String *key, int hint) {
    int n = node->n_props;
    for (int k = 0; k < n; k++) {
        int i = hint + k < n ? hint + k : hint + k - n;
        const Prop *prop = &node->props[i];
        if (prop->len == key->len && same_bytes(prop->name, key->start, key->len)) return prop;
    }
    return NULL;
}

static int forbidden(const Reader *r, const String *key) {
    for (int i = 0; i < r->n_forbidden; i++)
        if (r->forbidden_len[i] == key->len && memcmp(r->forbidden[i], key->start, (size_t)key->len) == 0) return 1;
    return 0;
}

/* A string value against its node (the cursor is past it). */
static int string_holds(const Node *node, const String *s, int slot) {
    if (node == NULL) return 1;
    if (s->escaped && (node->min_len >= 0 || node->max_len >= 0 || node->n_enum || slot >= 0)) return 0;
    if (node->min_len >= 0 && s->chars < node->min_len) return 0;
    if (node->max_len >= 0 && s->chars > node->max_len) return 0;
    if (node->n_enum && !in_enum(node, s)) return 0;
    return 1;
}

/* After a member or an item: 1 when another follows (c->p at it), 0 when `close` ended the object
 * or array (c->p past it, one level up), -1 when neither follows. */
static int next_or_close(Cursor *c, unsigned char close) {
    ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == ',') {
        c->p++;
        ws(c);
        return 1;
    }
    if (*c->p != close) return -1;
    c->p++;
    c->depth--;
    return 0;
}

/* The members of an object from c->p (at a member's opening quote, or at '}' when `seen` is
 * already set by the caller's first member); `top`: the event's own members. */
static int members(const Reader *r, Cursor *c, const Node *node, uint64_t seen, int top, int hint) {
    for (;;) {
        String key;
        if (c->p >= c->end || *c->p != '"' || !read_string(c, &key)) return 0;
        if (key.escaped && (top || (node && node->n_props))) return 0; /* could name a declared member */
        if (top && forbidden(r, &key)) return 0;
        ws(c);
        if (c->p >= c->end || *c->p != ':') return 0;
        c->p++;
        ws(c);
        const Prop *prop = node ? find_prop(node, &key, hint) : NULL;
        if (prop) {
            hint = (int)(prop - node->props) + 1;
            uint64_t bit = (uint64_t)1 << (prop - node->props);
            if (seen & bit) return 0; /* a declared member twice: orjson keeps the last; not decided here */
            seen |= bit;
            if (!value(r, c, prop->node, prop->slot)) return 0;
        } else if ((node && node->closed) || !value(r, c, -1, -1)) {
            return 0; /* an undeclared member where the schema forbids one, or a bad value */
        }
        int more = next_or_close(c, '}');
        if (more < 0) return 0;
        if (!more) return node == NULL || (seen & node->required) == node->required;
    }
}

/* Into the object or array at c->p: -1 when too deep, 0 when `close` follows at once (c->p past
 * it, one level up again), 1 when a member or item follows (c->p at it). */
static int open_nested(Cursor *c, unsigned char close) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return 0;
    }
    return 1;
}

static int object(const Reader *r, Cursor *c, const Node *node) {
    int opened = open_nested(c, '}');
    if (opened <= 0) return opened == 0 && (node == NULL || node->required == 0);
    return members(r, c, node, 0, 0, 0);
}

static int array(const Reader *r, Cursor *c, const Node *node) {
    int items = node ? node->items : -1;
    int opened = open_nested(c, ']');
    if (opened <= 0) return opened == 0;
    for (;;) {
        if (!value(r, c, items, -1)) return 0;
        int more = next_or_close(c, ']');
        if (more <= 0) return more == 0;
    }
}

static int literal(Cursor *c, const char *word, size_t len) {
    if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len) != 0) return 0;
    c->p += len;
    return 1;
}

static int number_holds(const Node *node, const Number *n) {
    int bounded = node != NULL && (node->has_min || node->has_max);
    if (node != NULL && !(node->types & T_NUMBER) && !n->integral) return 0; /* "integer": 1.0 is the exact path's */
    if (!n->exponent && !bounded) return 1; /* at most MAX_DIGITS digits without an exponent: finite */
    if (bounded && n->digits > 15) return 0; /* beyond a double's exact integers: not compared here */
    double v = number_value(n);
    if (!isfinite(v)) return 0;
    if (bounded && node->has_min && !(v >= node->minimum)) return 0;
    if (bounded && node->has_max && !(v <= node->maximum)) return 0;
    return 1;
}

static int value(const Reader *r, Cursor *c, int node_index, int slot) {
    const Node *node = node_index >= 0 ? &r->nodes[node_index] : NULL;
    int types = node ? node->types : 0x7F;
    if (c->p >= c->end) return 0;
    switch (*c->p) {
    case '"': {
        String s;
        if (!(types & T_STRING) || !read_string(c, &s) || !string_holds(node, &s, slot)) return 0;
        if (slot >= 0) {
            c->caps[slot].start = s.start;
            c->caps[slot].len = s.len;
            c->caps[slot].present = 1;
            c->caps[slot].ascii = s.chars == s.len;
        }
        return 1;
    }
    case '{':
        return (types & T_OBJECT) && object(r, c, node);
    case '[':
        return (types & T_ARRAY) && array(r, c, node);
    case 't':
        return (types & T_BOOLEAN) && literal(c, "true", 4);
    case 'f':
        return (types & T_BOOLEAN) && literal(c, "false", 5);
    case 'n':
        return (types & T_NULL) && literal(c, "null", 4);
    default: {
        Number n;
        if (!(types & (T_NUMBER | T_INTEGER)) || !read_number(c, &n) || !number_holds(node, &n)) return 0;
        if (slot >= 0) {
            c->caps[slot].start = n.start;
            c->caps[slot].len = n.len;
            c->caps[slot].present = 1;
            c->caps[slot].integral = n.integral;
            c->caps[slot].digits = n.digits;
        }
        return 1;
    }
    }
}

/* The event object: its first member must be "eid" naming a compiled schema. Returns the root's
 * index in r->root_*, -1 when refused. */
static int event(const Reader *r, Cursor *c) {
    String key, eid;
    ws(c);
    if (c->p >= c->end || *c->p != '{') return -1;
    c->p++;
    c->depth = 1;
    ws(c);
    if (c->p >= c->end || *c->p != '"' || !read_string(c, &key) || key.escaped || key.len != 3 ||
        memcmp(key.start, "eid", 3) != 0)
        return -1;
    ws(c);
    if (c->p >= c->end || *c->p != ':') return -1;
    c->p++;
    ws(c);
    if (c->p >= c->end || *c->p != '"' || !read_string(c, &eid) || eid.escaped) return -1;
    int root = -1;
    for (int i = 0; i < r->n_roots; i++)
        if (r->root_len[i] == eid.len && memcmp(r->root_s[i], eid.start, (size_t)eid.len) == 0) root = i;
    if (root < 0) return -1;
    const Node *node = &r->nodes[r->root_node[root]];
    const Prop *prop = find_prop(node, &key, 0);
    if (prop == NULL || !string_holds(prop->node >= 0 ? &r->nodes[prop->node] : NULL, &eid, 0)) return -1;
    uint64_t seen = (uint64_t)1 << (prop - node->props);
    ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == '}') {
        c->p++;
        return (seen & node->required) == node->required ? root : -1;
    }
    if (*c->p != ',') return -1;
    c->p++;
    ws(c);
    return members(r, c, node, seen, 1, (int)(prop - node->props) + 1) ? root : -1;
}

static PyObject *text_of(const Capture *cap) {
    if (!cap->present) Py_RETURN_NONE;
    if (!cap->ascii) return PyUnicode_DecodeUTF8((const char *)cap->start, cap->len, "strict");
    PyObject *text = PyUnicode_New(cap->len, 127); /* checked ASCII: copied as it is */
    if (text != NULL) memcpy(PyUnicode_DATA(text), cap->start, (size_t)cap->len);
    return text;
}

static PyObject *ets_of(const Capture *cap) {
    if (!cap->present) Py_RETURN_NONE;
    long long v = 0;
    const unsigned char *p = cap->start, *end = cap->start + cap->len;
    int negative = *p == '-';
    for (p += negative; p < end; p++) v = v * 10 + (*p - '0');
    return PyLong_FromLongLong(negative ? -v : v);
}

/* (mid, eid, ets, syncts, channel, pdata_id, actor_id, actor_type, sid, did, object_id) */
static PyObject *row_of(const Reader *r, const Cursor *c, int root, PyObject *syncts) {
    const Capture *k = c->caps;
    PyObject *row = PyTuple_New(11);
    if (row == NULL) return NULL;
    Py_INCREF(r->root_eid[root]);
    Py_INCREF(syncts);
    PyTuple_SET_ITEM(row, 1, r->root_eid[root]);
    PyTuple_SET_ITEM(row, 3, syncts);
    PyObject *items[9] = {text_of(&k[0]), ets_of(&k[1]), text_of(&k[4]), text_of(&k[5]), text_of(&k[2]),
                          text_of(&k[3]), text_of(&k[6]), text_of(&k[7]), text_of(&k[8])};
    static const int at[9] = {0, 2, 4, 5, 6, 7, 8, 9, 10};
    int failed = 0;
    for (int i = 0; i < 9; i++) {
        if (items[i] == NULL) {
            failed = 1;
            Py_INCREF(Py_None);
            items[i] = Py_None;
        }
        PyTuple_SET_ITEM(row, at[i], items[i]);
    }
    if (failed) {
        Py_DECREF(row);
        return NULL;
    }
    return row;
}

static PyObject *Reader_read(Reader *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer text;
    PyObject *syncts, *stamp, *out = NULL;
    if (nargs != 3 || !PyBytes_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "read(text, syncts, stamp: bytes)");
        return NULL;
    }
    syncts = args[1];
    stamp = args[2];
    if (PyObject_GetBuffer(args[0], &text, PyBUF_SIMPLE) < 0) return NULL;
    Cursor c;
    memset(&c, 0, sizeof c);
    c.p = text.buf;
    c.end = c.p + text.len;
    int root = event(self, &c);
    const Capture *ets = &c.caps[SLOT_ETS];
    /* the stamp is spliced before the final '}': the object must end the text */
    if (root < 0 || c.p != c.end || c.end[-1] != '}' || (ets->present && (!ets->integral || ets->digits > MAX_DIGITS))) {
        Py_INCREF(Py_None);
        out = Py_None;
        goto done;
    }
    PyObject *row = row_of(self, &c, root, syncts);
    if (row == NULL) goto done;
    Py_ssize_t stamp_len = PyBytes_GET_SIZE(stamp);
    PyObject *stamped = PyBytes_FromStringAndSize(NULL, text.len + 1 + stamp_len);
    if (stamped == NULL) {
        Py_DECREF(row);
        goto done;
    }
    char *at = PyBytes_AS_STRING(stamped);
    memcpy(at, text.buf, (size_t)text.len - 1);
    at[text.len - 1] = ',';
    memcpy(at + text.len, PyBytes_AS_STRING(stamp), (size_t)stamp_len);
    at[text.len + stamp_len] = '}';
    out = PyTuple_Pack(2, row, stamped);
    Py_DECREF(row);
    Py_DECREF(stamped);
done:
    PyBuffer_Release(&text);
    return out;
}

/* ---- construction from the compiled program ---- */

static char *copy_bytes(PyObject *value, Py_ssize_t *len) {
    char *data;
    if (PyBytes_AsStringAndSize(value, &data, len) < 0) return NULL;
    char *copy = PyMem_Malloc((size_t)*len + 1);
    if (copy == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(copy, data, (size_t)*len);
    copy[*len] = 0;
    return copy;
}

static int bound(PyObject *value, int *has, double *out) {
    if (value == Py_None) return 0;
    *out = PyFloat_AsDouble(value);
    if (*out == -1.0 && PyErr_Occurred()) return -1;
    *has = 1;
    return 0;
}

/* node = (types, min_len, max_len, minimum, maximum, enum: tuple[bytes], props: tuple[(name, node,
 * required, slot)], items, closed) */
static int load_node(Reader *self, Node *node, PyObject *spec) {
    PyObject *minimum, *maximum, *choices, *props;
    Py_ssize_t min_len, max_len;
    int items;
    if (!PyArg_ParseTuple(spec, "innOOO!O!ii", &node->types, &min_len, &max_len, &minimum, &maximum, &PyTuple_Type,
                          &choices, &PyTuple_Type, &props, &items, &node->closed))
        return -1;
    node->min_len = min_len;
    node->max_len = max_len;
    node->items = items;
    if (items < -1 || items >= self->n_nodes || bound(minimum, &node->has_min, &node->minimum) < 0 ||
        bound(maximum, &node->has_max, &node->maximum) < 0)
        goto invalid;
    node->n_enum = (int)PyTuple_GET_SIZE(choices);
    node->enum_s = PyMem_Calloc((size_t)node->n_enum + 1, sizeof(char *));
    node->enum_len = PyMem_Calloc((size_t)node->n_enum + 1, sizeof(Py_ssize_t));
    if (node->enum_s == NULL || node->enum_len == NULL) return PyErr_NoMemory(), -1;
    for (int i = 0; i < node->n_enum; i++)
        if ((node->enum_s[i] = copy_bytes(PyTuple_GET_ITEM(choices, i), &node->enum_len[i])) == NULL) return -1;
    node->n_props = (int)PyTuple_GET_SIZE(props);
    if (node->n_props > MAX_PROPS) goto invalid;
    node->props = PyMem_Calloc((size_t)node->n_props + 1, sizeof(Prop));
    if (node->props == NULL) return PyErr_NoMemory(), -1;
    for (int i = 0; i < node->n_props; i++) {
        PyObject *name;
        int required;
        Prop *prop = &node->props[i];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(props, i), "O!ipi", &PyBytes_Type, &name, &prop->node, &required,
                              &prop->slot))
            return -1;
        if (prop->node < -1 || prop->node >= self->n_nodes || prop->slot < -1 || prop->slot >= SLOTS) goto invalid;
        if ((prop->name = copy_bytes(name, &prop->len)) == NULL) return -1;
        if (required) node->required |= (uint64_t)1 << i;
    }
    return 0;
invalid:
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "invalid schema program");
    return -1;
}

static void Reader_dealloc(Reader *self) {
    for (int i = 0; self->nodes && i < self->n_nodes; i++) {
        Node *node = &self->nodes[i];
        for (int j = 0; node->enum_s && j < node->n_enum; j++) PyMem_Free(node->enum_s[j]);
        for (int j = 0; node->props && j < node->n_props; j++) PyMem_Free(node->props[j].name);
        PyMem_Free(node->enum_s);
        PyMem_Free(node->enum_len);
        PyMem_Free(node->props);
    }
    for (int i = 0; self->root_s && i < self->n_roots; i++) {
        PyMem_Free(self->root_s[i]);
        if (self->root_eid) Py_XDECREF(self->root_eid[i]);
    }
    for (int i = 0; self->forbidden && i < self->n_forbidden; i++) PyMem_Free(self->forbidden[i]);
    PyMem_Free(self->nodes);
    PyMem_Free(self->root_s);
    PyMem_Free(self->root_len);
    PyMem_Free(self->root_node);
    PyMem_Free(self->root_eid);
    PyMem_Free(self->forbidden);
    PyMem_Free(self->forbidden_len);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Reader(nodes: list[node], roots: list[(eid: str, node: int)], forbidden: tuple[bytes]) */
static int Reader_init(Reader *self, PyObject *args, PyObject *kwds) {
    PyObject *nodes, *roots, *names;
    if (self->nodes != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Reader is initialised once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &nodes, &PyList_Type, &roots, &PyTuple_Type, &names)) return -1;
    self->n_nodes = (int)PyList_GET_SIZE(nodes);
    self->nodes = PyMem_Calloc((size_t)self->n_nodes + 1, sizeof(Node));
    self->n_roots = (int)PyList_GET_SIZE(roots);
    self->root_s = PyMem_Calloc((size_t)self->n_roots + 1, sizeof(char *));
    self->root_len = PyMem_Calloc((size_t)self->n_roots + 1, sizeof(Py_ssize_t));
    self->root_node = PyMem_Calloc((size_t)self->n_roots + 1, sizeof(int));
    self->root_eid = PyMem_Calloc((size_t)self->n_roots + 1, sizeof(PyObject *));
    self->n_forbidden = (int)PyTuple_GET_SIZE(names);
    self->forbidden = PyMem_Calloc((size_t)self->n_forbidden + 1, sizeof(char *));
    self->forbidden_len = PyMem_Calloc((size_t)self->n_forbidden + 1, sizeof(Py_ssize_t));
    if (!self->nodes || !self->root_s || !self->root_len || !self->root_node || !self->root_eid || !self->forbidden ||
        !self->forbidden_len) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < self->n_nodes; i++)
        if (!PyTuple_Check(PyList_GET_ITEM(nodes, i)) || load_node(self, &self->nodes[i], PyList_GET_ITEM(nodes, i)) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "a node is a tuple");
            return -1;
        }
    for (int i = 0; i < self->n_roots; i++) {
        PyObject *eid;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(roots, i), "Ui", &eid, &self->root_node[i])) return -1;
        if (self->root_node[i] < 0 || self->root_node[i] >= self->n_nodes) {
            PyErr_SetString(PyExc_ValueError, "a root names no node");
            return -1;
        }
        PyObject *encoded = PyUnicode_AsUTF8String(eid);
        if (encoded == NULL) return -1;
        self->root_s[i] = copy_bytes(encoded, &self->root_len[i]);
        Py_DECREF(encoded);
        if (self->root_s[i] == NULL) return -1;
        Py_INCREF(eid);
        PyUnicode_InternInPlace(&eid);
        self->root_eid[i] = eid;
    }
    for (int i = 0; i < self->n_forbidden; i++)
        if ((self->forbidden[i] = copy_bytes(PyTuple_GET_ITEM(names, i), &self->forbidden_len[i])) == NULL) return -1;
    return 0;
}

static PyMethodDef Reader_methods[] = {
    {"read", (PyCFunction)(void (*)(void))Reader_read, METH_FASTCALL,
     "read(text, syncts, stamp) -> (row, stamped text) when the event is accepted, else None"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "platform_assets.telemetry._event_reader.Reader",
    .tp_basicsize = sizeof(Reader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Telemetry events checked against their compiled schema and read into rows, from their JSON text.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Reader_init,
    .tp_dealloc = (destructor)Reader_dealloc,
    .tp_methods = Reader_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_event_reader", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__event_reader(void) {
    if (PyType_Ready(&ReaderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ReaderType);
    if (PyModule_AddObject(m, "Reader", (PyObject *)&ReaderType) < 0) {
        Py_DECREF(&ReaderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
