//go:build amd64 && !purego

#include "textflag.h"

// func sgemvAVX2(x *float32, k int, w *float32, ldw int, y *float32, n int)
// y[j] += Σ_{i<k} x[i]·w[i·ldw+j] for j < n; n is a multiple of 8. Row
// vector times row-major matrix: one pass over k rows per block of 64
// columns, eight accumulators (enough independent FMAs to hide their
// latency), then blocks of 8.
TEXT ·sgemvAVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ k+8(FP), R8
	MOVQ w+16(FP), DI
	MOVQ ldw+24(FP), R9
	SHLQ $2, R9
	MOVQ y+32(FP), DX
	MOVQ n+40(FP), CX

block64:
	CMPQ    CX, $64
	JL      block8
	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	VMOVUPS 128(DX), Y4
	VMOVUPS 160(DX), Y5
	VMOVUPS 192(DX), Y6
	VMOVUPS 224(DX), Y7
	MOVQ    SI, AX
	MOVQ    DI, BX
	MOVQ    R8, R10

rows64:
	TESTQ        R10, R10
	JZ           store64
	VBROADCASTSS (AX), Y8
	VFMADD231PS  0(BX), Y8, Y0
	VFMADD231PS  32(BX), Y8, Y1
	VFMADD231PS  64(BX), Y8, Y2
	VFMADD231PS  96(BX), Y8, Y3
	VFMADD231PS  128(BX), Y8, Y4
	VFMADD231PS  160(BX), Y8, Y5
	VFMADD231PS  192(BX), Y8, Y6
	VFMADD231PS  224(BX), Y8, Y7
	ADDQ         $4, AX
	ADDQ         R9, BX
	DECQ         R10
	JMP          rows64

store64:
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	ADDQ    $256, DX
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     block64

block8:
	CMPQ    CX, $8
	JL      done
	VMOVUPS (DX), Y0
	MOVQ    SI, AX
	MOVQ    DI, BX
	MOVQ    R8, R10

rows8:
	TESTQ        R10, R10
	JZ           store8
	VBROADCASTSS (AX), Y8
	VFMADD231PS  (BX), Y8, Y0
	ADDQ         $4, AX
	ADDQ         R9, BX
	DECQ         R10
	JMP          rows8

store8:
	VMOVUPS Y0, (DX)
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     block8

done:
	VZEROUPPER
	RET
