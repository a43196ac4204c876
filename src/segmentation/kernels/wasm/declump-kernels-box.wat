;; Declumping kernels: the per-component box work of declumpMask (declump.ts: flood masks, pasting pieces, border tests). Included by declump-kernels.wat (one module, one memory).
;; Own scratch: bytes 14024704 … 16777216 of the module memory (declump-kernels.wat's memory map).
