# wasi-threads' entry point for the test guests (Debian's wasi-libc has no threads build, so no
# pthreads): wasi_thread_start(tid, arg) points this instance's __stack_pointer at the stack the
# spawner allocated (the first word of *arg: its top), then calls thread_main(tid, arg) in C.
	.text
	.globaltype __stack_pointer, i32
	.functype thread_main (i32, i32) -> ()
	.export_name wasi_thread_start, wasi_thread_start
	.globl wasi_thread_start
	.type wasi_thread_start,@function
wasi_thread_start:
	.functype wasi_thread_start (i32, i32) -> ()
	local.get 1
	i32.load 0
	global.set __stack_pointer
	local.get 0
	local.get 1
	call thread_main
	end_function
