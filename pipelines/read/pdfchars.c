/* A page's characters in pdfminer's boxes, read from pdfium in one call from Python.

   The same loop as `layout._python_chars` (that function is the reference, and tests compare the
   two on every sample PDF): through ctypes each pdfium call costs about a microsecond, two or
   three a character, which made this loop the largest part of reading a request's PDFs. Here
   the calls are plain C calls, to pdfium functions whose addresses Python passes in, so this
   file needs no pdfium header nor linking: `python -m pipelines.read.pdfchars` builds it. */

#include <stdint.h>
#include <math.h>
#include <stdlib.h>

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
    qsort(tops, (size_t)count, sizeof(double), by_value);
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
    qsort(keys, (size_t)count, sizeof(char_key), by_line_then_x0);

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
