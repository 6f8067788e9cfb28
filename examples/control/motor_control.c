/* Motor control for the control-loop example: a PID controller with anti-windup, its state
 * (integral, last error) in the module's memory; the output is clamped to the drive's range. */
#include "control.h"

static const float kp = 0.8f, ki = 2.0f, kd = 0.002f, dt = 0.001f, limit = 12.0f;
static float integral;
static float last_error;

float pid_step(float setpoint, float measured) {
  float error = setpoint - measured;
  float derivative = (error - last_error) / dt;
  last_error = error;
  float out = kp * error + ki * (integral + error * dt) + kd * derivative;
  if (out > limit) {
    out = limit;
  } else if (out < -limit) {
    out = -limit;
  } else {
    integral += error * dt; /* only while not saturated */
  }
  return out;
}
