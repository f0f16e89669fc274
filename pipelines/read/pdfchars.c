/* A page's characters in pdfminer's boxes, read from pdfium in one call from Python.

   The same loop as `layout._python_chars` (that function is the reference, and tests compare the
   two on every sample PDF): through ctypes each pdfium call costs about a microsecond, two or
   three a character, which made this loop the largest part of reading a request's PDFs. Here
   the calls are plain C calls, to pdfium functions whose addresses Python passes in, so this
   file needs no pdfium header nor linking: `python -m pipelines.read.pdfchars` builds it. */

#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A merge sort of the runs already in order: a page's characters come mostly in reading order,
   so this is about one pass, where qsort (a call a comparison) cost most of grouping a page.
   LESS must be a strict total order (every key here ends in a position); sorts `a` in place and
   returns 0, or -2 when memory ran out. */
#define DEFINE_RUN_SORT(name, T, LESS)                                                         \
    static int name(T *a, size_t n) {                                                          \
        size_t runs = 1;                                                                       \
        for (size_t k = 1; k < n; k++)                                                         \
            runs += LESS(a[k], a[k - 1]);                                                      \
        if (runs == 1)                                                                         \
            return 0;                                                                          \
        T *other = malloc(sizeof(T) * n);                                                      \
        size_t *bounds = malloc(sizeof(size_t) * (runs + 1));                                  \
        if (!other || !bounds) {                                                               \
            free(other);                                                                       \
            free(bounds);                                                                      \
            return -2;                                                                         \
        }                                                                                      \
        size_t nb = 0;                                                                         \
        bounds[nb++] = 0;                                                                      \
        for (size_t k = 1; k < n; k++)                                                         \
            if (LESS(a[k], a[k - 1]))                                                          \
                bounds[nb++] = k;                                                              \
        bounds[nb] = n;                                                                        \
        T *src = a, *dst = other;                                                              \
        while (runs > 1) {                                                                     \
            size_t out = 0;                                                                    \
            for (size_t r = 0; r < runs; r += 2) {                                             \
                size_t lo = bounds[r], mid = bounds[r + 1], hi = r + 1 < runs ? bounds[r + 2] : mid; \
                size_t i = lo, j = mid, k = lo;                                                \
                while (i < mid && j < hi)                                                      \
                    dst[k++] = LESS(src[j], src[i]) ? src[j++] : src[i++];                     \
                while (i < mid)                                                                \
                    dst[k++] = src[i++];                                                       \
                while (j < hi)                                                                 \
                    dst[k++] = src[j++];                                                       \
                bounds[out++] = lo;                                                            \
            }                                                                                  \
            bounds[out] = n;                                                                   \
            runs = out;                                                                        \
            T *swap = src;                                                                     \
            src = dst;                                                                         \
            dst = swap;                                                                        \
        }                                                                                      \
        if (src != a)                                                                          \
            memcpy(a, src, sizeof(T) * n);                                                     \
        free(other);                                                                           \
        free(bounds);                                                                          \
        return 0;                                                                              \
    }

/* every value finite: then the orders below are total (NaN compares false with everything) */
static int all_finite(const double *values, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return 0;
    return 1;
}

typedef struct { float left, top, right, bottom; } rect_f;

typedef int (*get_text_f)(void *, int, int, unsigned short *);
typedef unsigned int (*get_unicode_f)(void *, int);
typedef int (*char_flag_f)(void *, int);
typedef int (*loose_box_f)(void *, int, rect_f *);
typedef double (*font_size_f)(void *, int);
typedef float (*char_angle_f)(void *, int);

typedef struct {
    get_text_f get_text;
    get_unicode_f get_unicode;
    char_flag_f is_hyphen;
    char_flag_f is_generated;
    loose_box_f loose_box;
    font_size_f font_size;
    char_angle_f angle;
} pdfium_calls;

static int special(unsigned int code) {
    return code == 0 || code == 2 || code == 10 || code == 13 || code == 32 || code == 0xAD
        || code == 0xFFFD || code == 0xFFFE;
}

/* The page's `count` characters (FPDFText_CountChars), those kept written to boxes[4 * k ..] =
   top, x0, x1, bottom (top-down, pdfminer's box: from the descent up one font size) and
   codes[k] = the code point. Returns how many, -1 when unsure (a character outside the Latin
   scripts, unmapped, turned, or without a box), -2 when memory ran out. */
int sertiflow_page_chars(void *textpage, int count, double height, int upright, const pdfium_calls *pdfium,
                         double *boxes, uint32_t *codes) {
    if (count <= 0)
        return 0;
    unsigned short *units = malloc(sizeof(unsigned short) * ((size_t)count + 1));
    if (!units)
        return -2;
    /* one unit per character, unless a character lies outside the BMP (then ask each one) */
    int per_unit = pdfium->get_text(textpage, 0, count, units) == count + 1;
    for (int i = 0; per_unit && i < count; i++)
        if (units[i] >= 0xD800 && units[i] <= 0xDFFF)
            per_unit = 0;
    int kept = 0;
    for (int i = 0; i < count; i++) {
        unsigned int code = per_unit ? units[i] : pdfium->get_unicode(textpage, i);
        if (special(code)) {
            if (code != 10 && code != 13 && code != 32)
                code = pdfium->get_unicode(textpage, i);   /* GetText writes 0xFFFE for 2 */
            if ((code == 2 || code == 0xAD) && pdfium->is_hyphen(textpage, i) == 1)
                code = 0x2D;   /* a hyphen at the end of a line, as drawn */
            else if (code == 10 || code == 13 || pdfium->is_generated(textpage, i) == 1)
                continue;      /* spaces and line breaks pdfium inferred */
            else if (code != 32) {
                kept = -1;
                break;
            }
        } else if (!(code <= 0x24F || (code >= 0x2000 && code <= 0x206F))) {
            kept = -1;
            break;
        }
        rect_f box;
        if (!pdfium->loose_box(textpage, i, &box) || (!upright && pdfium->angle(textpage, i) != 0)) {
            kept = -1;
            break;
        }
        double bottom = height - (double)box.bottom;
        double *out = boxes + 4 * (size_t)kept;
        out[0] = bottom - pdfium->font_size(textpage, i);
        out[1] = box.left;
        out[2] = box.right;
        out[3] = bottom;
        codes[kept++] = code;
    }
    free(units);
    return kept;
}

/* str.isspace() for the code points kept above (Latin scripts and general punctuation) */
static int blank(uint32_t code) {
    return (code >= 9 && code <= 13) || (code >= 0x1C && code <= 0x20) || code == 0x85 || code == 0xA0
        || (code >= 0x2000 && code <= 0x200A) || code == 0x2028 || code == 0x2029 || code == 0x202F
        || code == 0x205F;
}

typedef struct { int line; double x0; int index; } char_key;

static int by_line_then_x0(const void *a, const void *b) {
    const char_key *p = a, *q = b;
    if (p->line != q->line) return p->line < q->line ? -1 : 1;
    if (p->x0 != q->x0) return p->x0 < q->x0 ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;   /* stable, as Python's sort */
}

static int by_value(const void *a, const void *b) {
    double p = *(const double *)a, q = *(const double *)b;
    return p < q ? -1 : p > q;
}

#define VALUE_LESS(p, q) ((p) < (q))
#define CHAR_LESS(p, q) ((p).line != (q).line ? (p).line < (q).line \
                         : (p).x0 != (q).x0 ? (p).x0 < (q).x0 : (p).index < (q).index)
DEFINE_RUN_SORT(sort_values, double, VALUE_LESS)
DEFINE_RUN_SORT(sort_chars, char_key, CHAR_LESS)

/* `layout._words` (the reference): pdfplumber's word grouping with x tolerance 1.5 and y
   tolerance 3. Lines are clusters of `top` within the tolerance of the previous value, in order
   of `top`; characters of a line in order of x0; a word ends at a blank, a step back, a gap over
   the x tolerance or a jump over the y tolerance. Writes each word's x0, x1, top, bottom to
   word_boxes and its first position and length in `ordered_codes` (the characters in reading
   order) to word_spans; returns the number of words, -2 when memory ran out. */
int sertiflow_words(int count, const double *boxes, const uint32_t *codes,
                    double *word_boxes, int32_t *word_spans, uint32_t *ordered_codes) {
    if (count <= 0)
        return 0;
    double *tops = malloc(sizeof(double) * (size_t)count);
    char_key *keys = malloc(sizeof(char_key) * (size_t)count);
    if (!tops || !keys) {
        free(tops);
        free(keys);
        return -2;
    }
    for (int i = 0; i < count; i++)
        tops[i] = boxes[4 * i];
    /* a box that is not finite keeps the order qsort gave it (as before the run sort) */
    int finite = all_finite(boxes, 4 * (size_t)count);
    if (!finite)
        qsort(tops, (size_t)count, sizeof(double), by_value);
    else if (sort_values(tops, (size_t)count) < 0) {
        free(tops);
        free(keys);
        return -2;
    }
    int distinct = 0;   /* line number of each distinct top, in place: tops[k] stays the value */
    for (int i = 0; i < count; i++)
        if (i == 0 || tops[i] != tops[distinct - 1])
            tops[distinct++] = tops[i];
    for (int i = 0; i < count; i++) {
        double top = boxes[4 * i];
        int low = 0, high = distinct - 1;   /* find top among the distinct values */
        while (low < high) {
            int mid = (low + high) / 2;
            if (tops[mid] < top) low = mid + 1; else high = mid;
        }
        keys[i].index = i;
        keys[i].x0 = boxes[4 * i + 1];
        keys[i].line = low;   /* replaced by the line number below */
    }
    int *line_of = malloc(sizeof(int) * (size_t)distinct);
    if (!line_of) {
        free(tops);
        free(keys);
        return -2;
    }
    for (int k = 0, line = 0; k < distinct; k++) {
        if (k && tops[k] > tops[k - 1] + 3.0)
            line++;
        line_of[k] = line;
    }
    for (int i = 0; i < count; i++)
        keys[i].line = line_of[keys[i].line];
    if (!finite)
        qsort(keys, (size_t)count, sizeof(char_key), by_line_then_x0);
    else if (sort_chars(keys, (size_t)count) < 0) {
        free(tops);
        free(keys);
        free(line_of);
        return -2;
    }

    int words = 0, in_word = 0, line = -1;
    double last_x0 = 0, last_x1 = 0, last_top = 0;
    for (int k = 0; k < count; k++) {
        int i = keys[k].index;
        double top = boxes[4 * i], x0 = boxes[4 * i + 1], x1 = boxes[4 * i + 2], bottom = boxes[4 * i + 3];
        ordered_codes[k] = codes[i];
        if (keys[k].line != line) {   /* a new line starts a new word */
            line = keys[k].line;
            in_word = 0;
        }
        if (blank(codes[i])) {
            in_word = 0;
        } else if (in_word && !(x0 < last_x0 || x0 > last_x1 + 1.5 || fabs(top - last_top) > 3.0)) {
            double *w = word_boxes + 4 * (size_t)(words - 1);
            if (x1 > w[1]) w[1] = x1;
            if (top < w[2]) w[2] = top;
            if (bottom > w[3]) w[3] = bottom;
            word_spans[2 * (words - 1) + 1]++;
        } else {
            double *w = word_boxes + 4 * (size_t)words;
            w[0] = x0; w[1] = x1; w[2] = top; w[3] = bottom;
            word_spans[2 * words] = k;
            word_spans[2 * words + 1] = 1;
            words++;
            in_word = 1;
        }
        last_x0 = x0; last_x1 = x1; last_top = top;
    }
    free(tops);
    free(keys);
    free(line_of);
    return words;
}

/* ---- `layout._compose([], words)` over the words above: the page's layout text ---------------- */

typedef struct { double key_top, x0; int rank; int word; } word_key;

typedef struct { double top, bottom; int first_piece, pieces; int rank; } line_t;

typedef struct {
    int first, words;         /* the piece's words: row_words[first .. first + words) */
    double x0;
    int next_appended, last_appended;   /* pieces of continuation lines joined to this one */
} piece_t;

#define ROUNDED_TOP_LESS(p, q) ((p).key_top != (q).key_top ? (p).key_top < (q).key_top \
                                : (p).x0 != (q).x0 ? (p).x0 < (q).x0 : (p).rank < (q).rank)
#define X0_LESS(p, q) ((p).x0 != (q).x0 ? (p).x0 < (q).x0 : (p).rank < (q).rank)
#define TOP_LESS(p, q) ((p).top != (q).top ? (p).top < (q).top : (p).rank < (q).rank)
DEFINE_RUN_SORT(sort_by_rounded_top, word_key, ROUNDED_TOP_LESS)
DEFINE_RUN_SORT(sort_by_x0, word_key, X0_LESS)
DEFINE_RUN_SORT(sort_lines, line_t, TOP_LESS)

/* `_continues(prev, ln)`: ln holds only the wrapped ends of prev's pieces */
static int continues(const line_t *prev, const line_t *ln, const piece_t *pieces, const int *row_words,
                     const double *wb, const int32_t *spans, const uint32_t *text) {
    double height = prev->bottom - prev->top;
    if (height < 1.0) height = 1.0;
    double prev_x0 = pieces[prev->first_piece].x0, ln_x0 = pieces[ln->first_piece].x0;
    if (ln->top - prev->bottom > 0.9 * height || fabs(ln_x0 - prev_x0) <= 3.0)
        return 0;
    for (int p = ln->first_piece; p < ln->first_piece + ln->pieces; p++) {
        int found = 0, skipped_first = 0;
        for (int q = prev->first_piece; q < prev->first_piece + prev->pieces && !found; q++)
            for (int k = pieces[q].first; k < pieces[q].first + pieces[q].words; k++) {
                if (!skipped_first) {   /* the line's first word starts no value column */
                    skipped_first = 1;
                    continue;
                }
                if (fabs(pieces[p].x0 - wb[4 * row_words[k]]) <= 3.0) {
                    found = 1;
                    break;
                }
            }
        if (!found)
            return 0;
    }
    /* a label column ("Skema : ...") or a value ending in ":" is not a continuation; words hold
       no blanks, so " : " is a middle word ":" and text.rstrip() is the text */
    for (int p = ln->first_piece; p < ln->first_piece + ln->pieces; p++) {
        int first = pieces[p].first, n = pieces[p].words;
        int last = row_words[first + n - 1];
        if (text[spans[2 * last] + spans[2 * last + 1] - 1] == ':')
            return 0;
        for (int k = first + 1; k < first + n - 1; k++) {
            int w = row_words[k];
            if (spans[2 * w + 1] == 1 && text[spans[2 * w]] == ':')
                return 0;
        }
    }
    return 1;
}

static size_t put_piece(uint32_t *out, size_t at, const piece_t *piece, const int *row_words,
                        const int32_t *spans, const uint32_t *text) {
    for (int k = piece->first; k < piece->first + piece->words; k++) {
        int w = row_words[k];
        if (k > piece->first)
            out[at++] = ' ';
        for (int c = 0; c < spans[2 * w + 1]; c++)
            out[at++] = text[spans[2 * w] + c];
    }
    return at;
}

/* The layout text of a page's `count` characters (boxes and codes as sertiflow_words takes them),
   as `layout._compose([], layout._words(chars))` makes it: words in lines (by rounded top, then
   x0; a word within 2.5 points of the line's first word's top joins it), pieces split at gaps
   over 7 points, lines in order of top, continuation lines joined to the pieces they continue.
   Writes the text's code points to `out` (room for 2 * count + 1) and returns how many; -1 when
   unsure (a continuation without a piece to join, where Python fails), -2 when memory ran out,
   -3 when a box is not finite (then `layout._compose` decides, as it did before this function). */
int sertiflow_layout(int count, const double *boxes, const uint32_t *codes, uint32_t *out) {
    if (count <= 0)
        return 0;
    if (!all_finite(boxes, 4 * (size_t)count))
        return -3;   /* Python's round() fails on infinity, and NaN orders nothing: Python decides */
    size_t n = (size_t)count;
    double *wb = malloc(sizeof(double) * 4 * n);
    int32_t *spans = malloc(sizeof(int32_t) * 2 * n);
    uint32_t *text = malloc(sizeof(uint32_t) * n);
    word_key *keys = malloc(sizeof(word_key) * n);
    int *row_words = malloc(sizeof(int) * n);
    piece_t *pieces = malloc(sizeof(piece_t) * n);
    line_t *lines = malloc(sizeof(line_t) * n);
    int *kept = malloc(sizeof(int) * n);
    int result = -2;
    if (!wb || !spans || !text || !keys || !row_words || !pieces || !lines || !kept)
        goto done;
    int words = sertiflow_words(count, boxes, codes, wb, spans, text);
    if (words < 0)
        goto done;
    for (int w = 0; w < words; w++) {
        keys[w].key_top = nearbyint(wb[4 * w + 2]);   /* Python's round(): half to even */
        keys[w].x0 = wb[4 * w];
        keys[w].rank = w;
        keys[w].word = w;
    }
    if (sort_by_rounded_top(keys, (size_t)words) < 0)
        goto done;
    /* rows: consecutive runs of the sorted words; then each row in order of x0 (stable) */
    int nlines = 0, npieces = 0;
    for (int start = 0; start < words;) {
        double row_top = wb[4 * keys[start].word + 2];
        int end = start + 1;
        while (end < words && fabs(row_top - wb[4 * keys[end].word + 2]) <= 2.5)
            end++;
        for (int k = start; k < end; k++)
            keys[k].rank = k;
        if (sort_by_x0(keys + start, (size_t)(end - start)) < 0)
            goto done;
        for (int k = start; k < end; k++)
            row_words[k] = keys[k].word;
        line_t *line = &lines[nlines];
        line->top = wb[4 * row_words[start] + 2];
        line->bottom = wb[4 * row_words[start] + 3];
        line->first_piece = npieces;
        line->rank = nlines;
        int first = start;
        for (int k = start; k < end; k++) {
            int w = row_words[k];
            if (wb[4 * w + 2] < line->top) line->top = wb[4 * w + 2];
            if (wb[4 * w + 3] > line->bottom) line->bottom = wb[4 * w + 3];
            if (k > start && wb[4 * w] - wb[4 * row_words[k - 1] + 1] > 7.0) {
                pieces[npieces++] = (piece_t){first, k - first, wb[4 * row_words[first]], -1, -1};
                first = k;
            }
        }
        pieces[npieces++] = (piece_t){first, end - first, wb[4 * row_words[first]], -1, -1};
        line->pieces = npieces - line->first_piece;
        nlines++;
        start = end;
    }
    if (sort_lines(lines, (size_t)nlines) < 0)
        goto done;
    /* continuation lines joined to the kept line above */
    int nkept = 0;
    for (int l = 0; l < nlines; l++) {
        line_t *ln = &lines[l];
        if (nkept && continues(&lines[kept[nkept - 1]], ln, pieces, row_words, wb, spans, text)) {
            line_t *prev = &lines[kept[nkept - 1]];
            for (int p = ln->first_piece; p < ln->first_piece + ln->pieces; p++) {
                int target = -1;   /* the last piece of prev starting left of p */
                for (int q = prev->first_piece + prev->pieces - 1; q >= prev->first_piece; q--)
                    if (pieces[q].x0 - 3.0 <= pieces[p].x0) {
                        target = q;
                        break;
                    }
                if (target < 0) {   /* Python's next() raises here: the page is unsure */
                    result = -1;
                    goto done;
                }
                if (pieces[target].last_appended < 0)
                    pieces[target].next_appended = p;
                else
                    pieces[pieces[target].last_appended].next_appended = p;
                pieces[target].last_appended = p;
            }
            prev->bottom = ln->bottom;
            continue;
        }
        kept[nkept++] = l;
    }
    size_t at = 0;
    for (int k = 0; k < nkept; k++) {
        const line_t *line = &lines[kept[k]];
        if (k)
            out[at++] = '\n';
        for (int p = line->first_piece; p < line->first_piece + line->pieces; p++) {
            if (p > line->first_piece)
                out[at++] = ' ';
            at = put_piece(out, at, &pieces[p], row_words, spans, text);
            for (int a = pieces[p].next_appended; a >= 0; a = pieces[a].next_appended) {
                out[at++] = ' ';
                at = put_piece(out, at, &pieces[a], row_words, spans, text);
            }
        }
    }
    result = (int)at;
done:
    free(wb); free(spans); free(text); free(keys); free(row_words);
    free(pieces); free(lines); free(kept);
    return result;
}

/* ---- `layout._page_objects`: may the page hold a ruled table, is all its text upright? -------- */

typedef struct { float a, b, c, d, e, f; } matrix_f;

typedef struct {
    int (*count_page_objects)(void *);
    void *(*page_object)(void *, int);
    int (*object_type)(void *);
    int (*matrix)(void *, matrix_f *);
    int (*count_form_objects)(void *);
    void *(*form_object)(void *, unsigned long);
    int (*bounds)(void *, float *, float *, float *, float *);
    int (*stroke_width)(void *, float *);
    int (*count_segments)(void *);
    void *(*segment)(void *, int);
    int (*segment_type)(void *);
    int path, text, form, lineto;   /* FPDF_PAGEOBJ_PATH, _TEXT, _FORM, FPDF_SEGMENT_LINETO */
} object_calls;

enum { TABLE_DEPTH = 3, TURN_DEPTH = 8 };   /* as layout._TABLE_DEPTH and _TURN_DEPTH */

typedef struct { const object_calls *pdfium; int table, upright, unsure_level; } object_walk;

/* `layout._may_rule`: a path that could be an edge of a table cell; unsure means yes */
static int may_rule(const object_calls *pdfium, void *obj) {
    float left = 0, bottom = 0, right = 0, top = 0, stroke = 0;
    if (!pdfium->bounds(obj, &left, &bottom, &right, &top))
        return 1;
    pdfium->stroke_width(obj, &stroke);
    if ((double)top - (double)bottom - (double)stroke < 2.5)   /* the bounds include the line's width */
        return 0;
    int count = pdfium->count_segments(obj);
    if (count <= 0)
        return 1;
    for (int i = 0; i < count; i++)
        if (pdfium->segment_type(pdfium->segment(obj, i)) == pdfium->lineto)
            return 1;
    return 0;
}

/* one level of the walk; 1 when unsure (where Python raises _Unsure), which ends the walk */
static int walk_objects(object_walk *w, void *parent, int level) {
    const object_calls *pdfium = w->pdfium;
    int count = level ? pdfium->count_form_objects(parent) : pdfium->count_page_objects(parent);
    if (count < 0) {
        w->unsure_level = level;
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (w->table && !w->upright)
            return 0;
        void *obj = level ? pdfium->form_object(parent, (unsigned long)i) : pdfium->page_object(parent, i);
        if (!obj) {
            w->unsure_level = level;
            return 1;
        }
        int kind = pdfium->object_type(obj);
        if (kind == pdfium->path && !w->table && level < TABLE_DEPTH) {
            w->table = may_rule(pdfium, obj);
        } else if ((kind == pdfium->text || kind == pdfium->form) && w->upright) {
            matrix_f m;
            w->upright = pdfium->matrix(obj, &m) && m.b == 0 && m.c == 0 && m.a > 0 && m.d > 0;
        }
        if (kind == pdfium->form && level < TURN_DEPTH - 1 && (w->upright || level < TABLE_DEPTH - 1))
            if (walk_objects(w, obj, level + 1))
                return 1;
    }
    return 0;
}

/* `layout._page_objects` after the page's rotation: returns 1 (may hold a table) + 2 (all text
   upright), given `upright` (the page is not rotated). */
int sertiflow_page_objects(void *page, int upright, const object_calls *pdfium) {
    object_walk w = {pdfium, 0, upright, 0};
    if (walk_objects(&w, page, 0)) {
        w.upright = 0;
        w.table = w.table || w.unsure_level < TABLE_DEPTH;
    }
    return (w.table ? 1 : 0) + (w.upright ? 2 : 0);
}
