//go:build amd64 && !purego

#include "textflag.h"

// func tanhAVX2(x *float32, n int, k *[16]float32)
// For n (a multiple of 8) elements in place:
// x = mul·tanh(clamp(scale·x)) + add, with tanh as the rational
// approximation of tanh32. k = scale, mul, add, clamp, -clamp,
// α13, α11, α9, α7, α5, α3, α1, β6, β4, β2, β0.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ k+16(FP), SI
	VBROADCASTSS 0(SI), Y8
	VBROADCASTSS 4(SI), Y9
	VBROADCASTSS 8(SI), Y10
	VBROADCASTSS 12(SI), Y11
	VBROADCASTSS 16(SI), Y12

loop:
	CMPQ CX, $8
	JL   done
	VMOVUPS (DI), Y0
	VMULPS  Y8, Y0, Y0
	VMINPS  Y11, Y0, Y0
	VMAXPS  Y12, Y0, Y0
	VMULPS  Y0, Y0, Y1

	VBROADCASTSS 20(SI), Y2
	VBROADCASTSS 24(SI), Y3
	VFMADD213PS  Y3, Y1, Y2
	VBROADCASTSS 28(SI), Y3
	VFMADD213PS  Y3, Y1, Y2
	VBROADCASTSS 32(SI), Y3
	VFMADD213PS  Y3, Y1, Y2
	VBROADCASTSS 36(SI), Y3
	VFMADD213PS  Y3, Y1, Y2
	VBROADCASTSS 40(SI), Y3
	VFMADD213PS  Y3, Y1, Y2
	VBROADCASTSS 44(SI), Y3
	VFMADD213PS  Y3, Y1, Y2

	VBROADCASTSS 48(SI), Y4
	VBROADCASTSS 52(SI), Y5
	VFMADD213PS  Y5, Y1, Y4
	VBROADCASTSS 56(SI), Y5
	VFMADD213PS  Y5, Y1, Y4
	VBROADCASTSS 60(SI), Y5
	VFMADD213PS  Y5, Y1, Y4

	VMULPS      Y2, Y0, Y2
	VDIVPS      Y4, Y2, Y2
	VFMADD213PS Y10, Y9, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         loop

done:
	VZEROUPPER
	RET
