;; Declumping kernels: the watershed's and basin merging's JavaScript steps (watershed*.ts, merge-shallow.ts). Included by declump-kernels.wat (one module, one memory).
;; Own scratch: bytes 11272192 … 14024704 of the module memory (declump-kernels.wat's memory map).
