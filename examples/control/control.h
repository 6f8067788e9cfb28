/* The two control modules of examples/control: built together into one WebAssembly module (one
 * instance holds both, control.c) and into the host program natively, for comparison. */
#ifndef WISP_EXAMPLE_CONTROL_H
#define WISP_EXAMPLE_CONTROL_H
#ifdef __cplusplus
extern "C" {
#endif
float filter_sample(float raw);
float pid_step(float setpoint, float measured);
#ifdef __cplusplus
}
#endif
#endif
