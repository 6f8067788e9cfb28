/* The dashboard's chart drawing (served as /dashboard/charts.wasm): a freestanding wasm32
 * module, no libc. The page instantiates it once and keeps every chart as a context in it: a
 * region of the instance's memory that the page allocates (chart_context_size bytes) and passes
 * as a pointer, holding the chart's size, colours and the last HISTORY samples of up to
 * MAX_SERIES series (chart_sample sets a series' value of the sample being made, chart_push adds
 * the sample). chart_draw renders one chart into the instance's framebuffer (RGBA, shared
 * by all its charts: the page draws one chart, copies its pixels to the chart's canvas, then
 * draws the next) and returns where the pixels are. */

#define MAX_SERIES 5
#define HISTORY 300        /* samples kept per series: five minutes at one a second */
#define RING (HISTORY + 1) /* and the sample being made */
#define MAX_WIDTH 640
#define MAX_HEIGHT 200
#define BACKGROUND 0xffffffffu /* RGBA as the bytes R, G, B, A in memory (little-endian word) */
#define GRID 0xffe6e6e6u

typedef struct {
  int width, height, series;
  int count; /* samples held (at most HISTORY) */
  int next;  /* where the sample being made goes in the rings */
  unsigned color[MAX_SERIES];
  float top; /* the y axis' top at the last draw */
  float values[MAX_SERIES][RING];
} Chart;

static unsigned framebuffer[MAX_WIDTH * MAX_HEIGHT];

int chart_context_size(void) {
  return (int)sizeof(Chart);
}

int chart_max_width(void) {
  return MAX_WIDTH;
}

int chart_max_height(void) {
  return MAX_HEIGHT;
}

/* Sets up a context: 0, or -1 if the size or the series count is out of range. */
int chart_init(Chart* c, int width, int height, int series) {
  if (width < 2 || width > MAX_WIDTH || height < 2 || height > MAX_HEIGHT || series < 1 ||
      series > MAX_SERIES)
    return -1;
  c->width = width;
  c->height = height;
  c->series = series;
  c->count = 0;
  c->next = 0;
  c->top = 1;
  for (int s = 0; s < MAX_SERIES; ++s) {
    c->color[s] = 0xff000000u;
    c->values[s][0] = __builtin_nanf("");
  }
  return 0;
}

/* A series' colour as 0xRRGGBB. */
void chart_set_color(Chart* c, int s, unsigned rgb) {
  if (s < 0 || s >= MAX_SERIES) return;
  c->color[s] = 0xff000000u | (rgb & 0xff) << 16 | (rgb & 0xff00) | (rgb >> 16 & 0xff);
}

/* Series s's value in the sample being made (unset: NaN, a gap in the line). */
void chart_sample(Chart* c, int s, float v) {
  if (s >= 0 && s < MAX_SERIES) c->values[s][c->next] = v;
}

/* Adds the sample being made (the oldest goes once HISTORY are held) and starts the next. */
void chart_push(Chart* c) {
  c->next = (c->next + 1) % RING;
  if (c->count < HISTORY) ++c->count;
  for (int s = 0; s < MAX_SERIES; ++s) c->values[s][c->next] = __builtin_nanf("");
}

int chart_count(const Chart* c) {
  return c->count;
}

/* Sample i (0: the oldest held) of series s, as the chart plots it. */
float chart_value(const Chart* c, int s, int i) {
  if (s < 0 || s >= MAX_SERIES || i < 0 || i >= c->count) return __builtin_nanf("");
  return c->values[s][(c->next - c->count + i + RING) % RING];
}

float chart_top(const Chart* c) {
  return c->top;
}

static int is_nan(float v) {
  return v != v;
}

/* The smallest of 1, 2, 5 times a power of ten at or above v (v > 0). */
static float nice_ceiling(float v) {
  float p = 1;
  while (p > v) p /= 10;
  while (p * 10 <= v) p *= 10;
  if (v <= p) return p;
  if (v <= 2 * p) return 2 * p;
  if (v <= 5 * p) return 5 * p;
  return 10 * p;
}

static void plot(const Chart* c, int x, int y, unsigned color) {
  if (x >= 0 && x < c->width && y >= 0 && y < c->height) framebuffer[y * c->width + x] = color;
}

/* A line two pixels thick (Bresenham, and the pixel below each point). */
static void line(const Chart* c, int x0, int y0, int x1, int y1, unsigned color) {
  int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
  int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    plot(c, x0, y0, color);
    plot(c, x0, y0 + 1, color);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

static int x_of(const Chart* c, int i) {
  /* The newest sample at the right edge; HISTORY samples span the width. */
  return c->width - 1 - (c->count - 1 - i) * (c->width - 1) / (HISTORY - 1);
}

static int y_of(const Chart* c, float v) {
  float f = v / c->top;
  if (f > 1) f = 1;
  if (f < 0) f = 0;
  return (int)((float)(c->height - 2) * (1 - f) + 0.5f);
}

/* Renders the chart into the framebuffer (width * height RGBA pixels, row by row) and returns
 * its address. The y axis runs from 0 to a round number at or above the largest sample. */
unsigned char* chart_draw(Chart* c) {
  const int w = c->width, h = c->height;
  for (int i = 0; i < w * h; ++i) framebuffer[i] = BACKGROUND;
  float top = 0;
  for (int s = 0; s < c->series; ++s)
    for (int i = 0; i < c->count; ++i) {
      float v = chart_value(c, s, i);
      if (!is_nan(v) && v > top) top = v;
    }
  c->top = top > 0 ? nice_ceiling(top) : 1;
  for (int g = 0; g <= 4; ++g) { /* grid: quarters of the axis */
    int y = g * (h - 1) / 4;
    for (int x = 0; x < w; ++x) framebuffer[y * w + x] = GRID;
  }
  for (int s = c->series - 1; s >= 0; --s) {
    for (int i = 1; i < c->count; ++i) {
      float a = chart_value(c, s, i - 1), b = chart_value(c, s, i);
      if (is_nan(a) || is_nan(b)) continue;
      line(c, x_of(c, i - 1), y_of(c, a), x_of(c, i), y_of(c, b), c->color[s]);
    }
    /* A lone sample (no neighbour to join) shows as a short tick. */
    for (int i = 0; i < c->count; ++i) {
      float v = chart_value(c, s, i);
      int lone = !is_nan(v) && (i == 0 || is_nan(chart_value(c, s, i - 1))) &&
                 (i == c->count - 1 || is_nan(chart_value(c, s, i + 1)));
      if (lone) line(c, x_of(c, i) - 1, y_of(c, v), x_of(c, i), y_of(c, v), c->color[s]);
    }
  }
  return (unsigned char*)framebuffer;
}
