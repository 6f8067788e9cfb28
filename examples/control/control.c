/* One WebAssembly module holding both control modules (sensor filter, motor control): one
 * instance, each module's state in its own part of the instance's memory. */
#include "motor_control.c"
#include "sensor_filter.c"
