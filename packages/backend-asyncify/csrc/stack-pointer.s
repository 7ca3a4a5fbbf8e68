# Read and write LLVM's shadow stack pointer, which asyncify does not save:
# each context keeps its own value across a switch.
	.globaltype __stack_pointer, i32

	.globl qco_get_sp
	.type qco_get_sp,@function
qco_get_sp:
	.functype qco_get_sp () -> (i32)
	global.get __stack_pointer
	end_function

	.globl qco_set_sp
	.type qco_set_sp,@function
qco_set_sp:
	.functype qco_set_sp (i32) -> ()
	local.get 0
	global.set __stack_pointer
	end_function
