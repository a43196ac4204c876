;; Declumping kernels: seeds: peak_local_max of a plane (peaks.ts) and the smoothing's row ranges. Included by declump-kernels.wat (one module, one memory).
;; Own scratch: bytes 8519680 … 11272192 of the module memory (declump-kernels.wat's memory map).
