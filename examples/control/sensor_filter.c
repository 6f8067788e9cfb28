/* Sensor processing for the control-loop example: a 16-sample moving average followed by a
 * first-order low-pass, with its state in the module's memory. */
#include "control.h"

#define TAPS 16
static float window[TAPS];
static float window_sum;
static unsigned next;
static float smoothed;

float filter_sample(float raw) {
  window_sum += raw - window[next];
  window[next] = raw;
  next = (next + 1) % TAPS;
  smoothed += 0.25f * (window_sum / TAPS - smoothed);
  return smoothed;
}
