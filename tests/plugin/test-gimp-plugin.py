#!/usr/bin/python3
"""End-to-end tests of the GIMP plug-in inside real, headless GIMP 2.10.

The test installs the built plug-in into a temporary GIMP2_DIRECTORY and
drives gimp-console with Script-Fu batch commands.  GIMP exits 0 even when a
batch command fails, so nothing here trusts its exit code: every Script-Fu
command reports what it saw with (gimp-message "ST ..."), which GIMP prints
as "script-fu-Warning: ST ...", and exports pixels as raw files that numpy
compares.

Three GIMP sessions:
  1. the plug-in as installed: results, layers, pixels, every bad call;
  2. the plug-in behind an LD_PRELOAD tracer (trace-shim.c), under Xvfb:
     the undo group seen from the plug-in, and the dialog answered OK and
     Cancel (GIMP 2.10 has no PDB procedure that undoes);
  3. the plug-in killed in the middle of a run, as GIMP 2.10 does when the
     user cancels from the progress bar: the image must be untouched.
"""

import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

GIMP = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")

# ------------------------------------------------------------------ Scheme

PRELUDE = r"""
(define st-out "@OUT@")
(define st-images "@IMAGES@")
(define st-have-images @HAVE_IMAGES@)

(define (st->s x)
  (cond ((string? x) x)
        ((number? x) (number->string x))
        ((symbol? x) (symbol->string x))
        (else "?")))
(define (say . parts)
  (gimp-message (apply string-append (cons "ST " (map st->s parts)))))
(define (join xs)
  (cond ((null? xs) "")
        ((null? (cdr xs)) (st->s (car xs)))
        (else (string-append (st->s (car xs)) "," (join (cdr xs))))))

; (ok value) or (error message): a failing PDB call raises a Scheme error
; whose message says "failed on invalid input arguments" for a calling
; error and just "failed" for an execution error.
(define (capture thunk)
  (call-with-current-continuation
    (lambda (k)
      (let ((old *error-hook*))
        (set! *error-hook*
              (lambda (msg . args) (set! *error-hook* old) (k (list 'error msg))))
        (let ((r (thunk)))
          (set! *error-hook* old)
          (list 'ok r))))))
(define (report tag r)
  (if (eq? (car r) 'ok)
      (say "OK " tag " ret=" (cadr r))
      (say "ERR " tag " msg=" (cadr r))))

(define (layers img) (vector->list (cadr (gimp-image-get-layers img))))
(define (top-layer img) (car (gimp-image-get-active-layer img)))
(define (describe-image tag img) (say "IMAGE " tag " layers=" (join (layers img))))
(define (describe tag d)
  (let ((off (gimp-drawable-offsets d)))
    (say "LAYER " tag " id=" d
         " w=" (car (gimp-drawable-width d)) " h=" (car (gimp-drawable-height d))
         " x=" (car off) " y=" (cadr off) " bpp=" (car (gimp-drawable-bpp d))
         " gray=" (car (gimp-drawable-is-gray d))
         " mask=" (car (gimp-layer-get-mask d))
         " parent=" (car (gimp-item-get-parent d))
         " name=" (car (gimp-item-get-name d)))))

(define (st-path f) (string-append st-out "/" f))
; Export procedures save the whole image, so a drawable is exported from
; an image of its own: its pixels only, without offsets or mask.
(define (alone d thunk)
  (let* ((tmp (car (gimp-image-new (car (gimp-drawable-width d))
                                   (car (gimp-drawable-height d))
                                   (if (= (car (gimp-drawable-is-gray d)) 1)
                                       GRAY RGB))))
         (l (car (gimp-layer-new-from-drawable d tmp))))
    (gimp-image-insert-layer tmp l 0 0)
    (gimp-layer-set-offsets l 0 0)
    (if (not (= (car (gimp-layer-get-mask l)) -1))
        (gimp-layer-remove-mask l MASK-DISCARD))
    (thunk tmp l)
    (gimp-image-delete tmp)))
(define (raw img d f)
  (alone d (lambda (tmp l)
    (file-raw-save2 RUN-NONINTERACTIVE tmp l (st-path f) f 0 0))))
(define (png img d f)
  (alone d (lambda (tmp l)
    (file-png-save RUN-NONINTERACTIVE tmp l (st-path f) f 0 9 0 0 0 0 0))))
; The visible composite of img, as the user sees it, saved raw.
(define (composite img tag)
  (let* ((dup (car (gimp-image-duplicate img)))
         (m (car (gimp-image-merge-visible-layers dup CLIP-TO-IMAGE)))
         (f (string-append tag ".raw")))
    (describe tag m)
    (file-raw-save2 RUN-NONINTERACTIVE dup m (st-path f) f 0 0)
    (gimp-image-delete dup)))

(define (plasma-image w h seed)
  (let* ((img (car (gimp-image-new w h RGB)))
         (l (car (gimp-layer-new img w h RGB-IMAGE "plasma" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img l 0 0)
    (plug-in-plasma RUN-NONINTERACTIVE img l seed 2.0)
    img))
; A picture from tests/images scaled to w x h, or plasma without them.
(define (picture name w h seed)
  (let ((img (if st-have-images
                 (car (gimp-file-load RUN-NONINTERACTIVE
                                      (string-append st-images "/" name) name))
                 (plasma-image w h seed))))
    (gimp-image-scale img w h)
    img))
(define (content-image) (picture "tubingen.jpg" 256 192 1))
(define (style-image) (picture "starry_night.jpg" 256 160 2))

(define (st img c s strength size iters preserve sscale smooth seed net)
  (capture (lambda ()
    (car (plug-in-style-transfer RUN-NONINTERACTIVE img c s strength size
                                 iters preserve sscale smooth seed net)))))
(define (quick img c s) (st img c s 50.0 64 10 0 1.0 1.0 1 "embedded"))
(define (bad tag img . args)
  (report tag (capture (lambda ()
    (car (apply plug-in-style-transfer
                (cons RUN-NONINTERACTIVE (cons img args)))))))
  (describe-image (string-append tag "-after") img))
"""

# Session 1: each string is one batch command (a fresh Script-Fu run).
SESSION_MAIN = [
    # The main run, then with-last-vals, then a style whose image was closed.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (describe-image "main-before" img)
  (describe "main-content" c)
  (describe "main-style" s)
  (raw img c "main-content-before.raw")
  (raw simg s "main-style.raw")
  (let ((r (st img c s 50.0 96 20 0 1.0 1.0 7 "embedded")))
    (report "main" r)
    (describe-image "main-after" img)
    (raw img c "main-content-after.raw")
    (if (eq? (car r) 'ok)
        (let ((l (cadr r)))
          (describe "main-result" l)
          (say "INFO main-active " (top-layer img))
          (raw img l "main-result.raw")
          (png img l "main-result.png"))))
  (report "last-vals"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-WITH-LAST-VALS img c s
                                         0.0 0 0 0 1.0 1.0 0 "")))))
  (describe-image "last-vals-after" img)
  (gimp-image-delete simg)
  (report "closed-style" (quick img c s))
  (describe-image "closed-style-after" img)
  ; Repeat after the style's image was closed: its file, still on disk.
  (let ((r (capture (lambda ()
             (car (plug-in-style-transfer RUN-WITH-LAST-VALS img c c
                                          0.0 0 0 0 1.0 1.0 0 ""))))))
    (report "closed-style-last-vals" r)
    (if (eq? (car r) 'ok) (describe "closed-style-last-vals-result" (cadr r))))
  (describe-image "closed-style-last-vals-after" img)
  ; ... and a style that was never a file: nothing to fall back to, and
  ; no screen for the dialog here.
  (let* ((p (plasma-image 64 64 3)) (pl (top-layer p)))
    (report "unsaved-style" (quick img c pl))
    (gimp-image-delete p)
    (describe-image "unsaved-style-after" img)
    (report "unsaved-style-last-vals"
            (capture (lambda ()
              (car (plug-in-style-transfer RUN-WITH-LAST-VALS img c c
                                           0.0 0 0 0 1.0 1.0 0 "")))))
    (describe-image "unsaved-style-last-vals-after" img)))
""",
    # Preserve colours: the same run, luminance only.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (let ((r (st img c s 50.0 96 20 1 1.0 1.0 7 "embedded")))
    (report "preserve" r)
    (if (eq? (car r) 'ok)
        (begin (describe "preserve-result" (cadr r))
               (raw img (cadr r) "preserve-result.raw")))))
""",
    # The style is another layer of the same image, above the content.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image))
       (s (car (gimp-layer-new-from-drawable (top-layer simg) img))))
  (gimp-image-insert-layer img s 0 0)
  (gimp-item-set-name s "brush strokes.png")
  (gimp-image-delete simg)
  (describe-image "same-image-before" img)
  (let ((r (quick img c s)))
    (report "same-image" r)
    (describe-image "same-image-after" img)
    (if (eq? (car r) 'ok) (describe "same-image-result" (cadr r)))))
""",
    # The content inside a layer group.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg))
       (g (car (gimp-layer-group-new img))))
  (gimp-image-insert-layer img g 0 0)
  (gimp-image-reorder-item img c g 0)
  (say "INFO group-id " g)
  (let ((r (quick img c s)))
    (report "group" r)
    (if (eq? (car r) 'ok) (describe "group-result" (cadr r)))
    (say "INFO group-children " (join (vector->list (cadr (gimp-item-get-children g)))))))
""",
    # Transparency and offsets: a smaller layer with cleared and feathered
    # holes, over a white background.
    r"""
(let* ((img (car (gimp-image-new 200 150 RGB)))
       (bg (car (gimp-layer-new img 200 150 RGB-IMAGE "bg" 100 LAYER-MODE-NORMAL)))
       (pic (content-image))
       (c (car (gimp-layer-new-from-drawable (top-layer pic) img)))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-insert-layer img bg 0 0)
  (gimp-drawable-fill bg FILL-WHITE)
  (gimp-image-insert-layer img c 0 0)
  (gimp-layer-scale c 128 96 FALSE)
  (gimp-layer-set-offsets c 30 20)
  (gimp-layer-add-alpha c)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 30 20 40 96)
  (gimp-drawable-edit-clear c)
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 8 8)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 110 50 40 40)
  (gimp-drawable-edit-clear c)
  (gimp-context-set-feather FALSE)
  (gimp-selection-none img)
  (describe "alpha-content" c)
  (raw img c "alpha-content.raw")
  (let ((r (quick img c s)))
    (report "alpha" r)
    (if (eq? (car r) 'ok)
        (begin (describe "alpha-result" (cadr r))
               (raw img (cadr r) "alpha-result.raw")
               (png img (cadr r) "alpha-result.png")))))
""",
    # A rectangular selection: the result is masked to it.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (composite img "selection-before")
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 64 48 128 96)
  (let ((r (quick img c s)))
    (report "selection" r)
    (if (eq? (car r) 'ok) (describe "selection-result" (cadr r)))
    (composite img "selection-after")
    (say "INFO selection-empty " (car (gimp-selection-is-empty img)))))
""",
    # Grayscale content, without and with alpha.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-convert-grayscale img)
  (describe "gray-content" c)
  (raw img c "gray-content.raw")
  (let ((r (quick img c s)))
    (report "gray" r)
    (if (eq? (car r) 'ok)
        (begin (describe "gray-result" (cadr r))
               (raw img (cadr r) "gray-result.raw")
               (png img (cadr r) "gray-result.png"))))
  (gimp-layer-add-alpha c)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 0 0 64 192)
  (gimp-drawable-edit-clear c)
  (gimp-selection-none img)
  (describe "graya-content" c)
  (raw img c "graya-content.raw")
  (let ((r (quick img c s)))
    (report "gray-alpha" r)
    (if (eq? (car r) 'ok)
        (begin (describe "graya-result" (cadr r))
               (raw img (cadr r) "graya-result.raw")))))
""",
    # Size 0: the layer's own size.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (let ((r (st img c s 50.0 0 4 0 1.0 1.0 1 "embedded")))
    (report "size-0" r)
    (if (eq? (car r) 'ok) (describe "size-0-result" (cadr r)))))
""",
    # Indexed images are refused.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-convert-indexed img 0 0 16 FALSE FALSE "")
  (report "indexed" (quick img c s))
  (describe-image "indexed-after" img))
""",
    # Bad arguments: each must fail with a message and add no layer.
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (describe-image "bad-before" img)
  (bad "same-layer" img c c 50.0 64 10 0 1.0 1.0 1 "embedded")
  (bad "strength-negative" img c s -1.0 64 10 0 1.0 1.0 1 "embedded")
  (bad "strength-101" img c s 101.0 64 10 0 1.0 1.0 1 "embedded")
  (bad "strength-nan" img c s (sqrt -1) 64 10 0 1.0 1.0 1 "embedded")
  (bad "strength-inf" img c s (exp 1000) 64 10 0 1.0 1.0 1 "embedded")
  (bad "size-negative" img c s 50.0 -1 10 0 1.0 1.0 1 "embedded")
  (bad "size-huge" img c s 50.0 1000000 10 0 1.0 1.0 1 "embedded")
  (bad "size-tiny" img c s 50.0 5 10 0 1.0 1.0 1 "embedded")
  (bad "iterations-negative" img c s 50.0 64 -1 0 1.0 1.0 1 "embedded")
  (bad "iterations-billion" img c s 50.0 64 1000000000 0 1.0 1.0 1 "embedded")
  (bad "preserve-2" img c s 50.0 64 10 2 1.0 1.0 1 "embedded")
  (bad "style-scale-zero" img c s 50.0 64 10 0 0.0 1.0 1 "embedded")
  (bad "style-scale-nan" img c s 50.0 64 10 0 (sqrt -1) 1.0 1 "embedded")
  (bad "style-scale-11" img c s 50.0 64 10 0 11.0 1.0 1 "embedded")
  (bad "smoothness-negative" img c s 50.0 64 10 0 1.0 -1.0 1 "embedded")
  (bad "smoothness-inf" img c s 50.0 64 10 0 1.0 (exp 1000) 1 "embedded")
  (bad "smoothness-1000" img c s 50.0 64 10 0 1.0 1000.0 1 "embedded")
  (bad "network-missing" img c s 50.0 64 10 0 1.0 1.0 1 "/nonexistent/vgg19.safetensors")
  (bad "network-garbage" img c s 50.0 64 10 0 1.0 1.0 1 "@TMP@/garbage.safetensors")
  (bad "network-empty" img c s 50.0 64 10 0 1.0 1.0 1 "@TMP@/empty.safetensors")
  (bad "network-unknown" img c s 50.0 64 10 0 1.0 1.0 1 "resnet50"))
""",
    # Layers the filter cannot paint.
    r"""
(let* ((simg (style-image)) (s (top-layer simg)))
  (define (one-layer w h type)
    (let* ((img (car (gimp-image-new 200 200 RGB)))
           (l (car (gimp-layer-new img w h type "layer" 100 LAYER-MODE-NORMAL))))
      (gimp-image-insert-layer img l 0 0)
      (if (= type RGB-IMAGE) (gimp-drawable-fill l FILL-WHITE))
      (list img l)))
  (let ((il (one-layer 1 1 RGB-IMAGE)))
    (bad "content-1x1" (car il) (cadr il) s 50.0 0 10 0 1.0 1.0 1 "embedded"))
  (let ((il (one-layer 2 2 RGB-IMAGE)))
    (bad "content-2x2" (car il) (cadr il) s 50.0 0 10 0 1.0 1.0 1 "embedded"))
  (let ((il (one-layer 30000 30 RGB-IMAGE)))
    (bad "content-30000x30" (car il) (cadr il) s 50.0 0 10 0 1.0 1.0 1 "embedded"))
  (let ((il (one-layer 64 64 RGBA-IMAGE)))
    (bad "transparent" (car il) (cadr il) s 50.0 64 10 0 1.0 1.0 1 "embedded"))
  (let ((il (one-layer 64 64 RGB-IMAGE)))
    (gimp-image-select-rectangle (car il) CHANNEL-OP-REPLACE 150 150 20 20)
    (bad "selection-outside" (car il) (cadr il) s 50.0 64 10 0 1.0 1.0 1 "embedded"))
  (let* ((il (one-layer 64 64 RGB-IMAGE))
         (tiny (car (gimp-image-new 8 8 RGB)))
         (tl (car (gimp-layer-new tiny 8 8 RGB-IMAGE "tiny" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer tiny tl 0 0)
    (bad "style-8x8" (car il) (cadr il) tl 50.0 64 10 0 1.0 1.0 1 "embedded")))
""",
]

# Grayscale against RGB: the same photo, style and settings; the gray
# layer must change as much as the RGB result's luminance does.
SESSION_MAIN += [
    r"""
(let* ((rgb (content-image)) (gray (content-image))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-convert-grayscale gray)
  (for-each
    (lambda (img tag)
      (let* ((c (top-layer img))
             (r (st img c s 50.0 128 20 0 1.0 1.0 3 "embedded")))
        (report tag r)
        (describe (string-append tag "-content") c)
        (raw img c (string-append tag "-content.raw"))
        (if (eq? (car r) 'ok)
            (begin (describe (string-append tag "-result") (cadr r))
                   (raw img (cadr r) (string-append tag "-result.raw"))))))
    (list rgb gray) (list "vs-rgb" "vs-gray")))
""",
]

# plug-in-style-transfer-file: an installed painting by its id, a file by
# its path, a name that is neither, and a Script-Fu batch that paints every
# photo of a folder with one painting.
SESSION_MAIN += [
    r"""
(let* ((img (content-image)) (c (top-layer img)))
  (describe-image "file-before" img)
  (define (stf style)
    (capture (lambda ()
      (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c style 50.0
                                        64 5 0 1.0 1.0 1 "embedded")))))
  (let ((r (stf "starry-night")))
    (report "file-painting" r)
    (describe-image "file-painting-after" img)
    (if (eq? (car r) 'ok) (describe "file-painting-result" (cadr r))))
  (let ((r (stf (string-append st-images "/the_scream.jpg"))))
    (report "file-path" r)
    (describe-image "file-path-after" img)
    (if (eq? (car r) 'ok) (describe "file-path-result" (cadr r))))
  ; An installed painting opened in GIMP from disk, as the style layer.
  (let* ((p "@TMP@/main/plug-ins/style-transfer/paintings/the-scream.jpg")
         (art (car (gimp-file-load RUN-NONINTERACTIVE p p)))
         (r (capture (lambda ()
              (car (plug-in-style-transfer RUN-NONINTERACTIVE img c
                     (car (gimp-image-get-active-layer art)) 50.0 64 5 0
                     1.0 1.0 1 "embedded"))))))
    (report "opened-painting" r)
    (if (eq? (car r) 'ok) (describe "opened-painting-result" (cadr r)))
    (gimp-image-delete art)
    ; Repeat once the painting's image is closed: the installed painting.
    (let ((r (capture (lambda ()
               (car (plug-in-style-transfer RUN-WITH-LAST-VALS img c c
                                            0.0 0 0 0 1.0 1.0 0 ""))))))
      (report "opened-painting-repeat" r)
      (if (eq? (car r) 'ok)
          (describe "opened-painting-repeat-result" (cadr r))))
    (describe-image "opened-painting-after" img))
  (let ((before (layers img)))
    (report "file-missing" (stf "no-such-painting"))
    (describe-image "file-missing-after" img)
    (report "file-empty" (stf ""))
    (describe-image "file-empty-after" img)
    (report "file-not-a-picture" (stf "@TMP@/garbage.safetensors"))
    (describe-image "file-not-a-picture-after" img)))
""",
    r"""
(let loop ((photos (cadr (file-glob "@TMP@/photos/*.jpg" 1))) (n 0))
  (if (null? photos)
      (say "INFO batch-count " n)
      (let* ((path (car photos))
             (img (car (gimp-file-load RUN-NONINTERACTIVE path path)))
             (c (car (gimp-image-get-active-layer img))))
        (gimp-image-scale img 64 48)
        (let ((l (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c
                        "great-wave" 50.0 48 5 0 1.0 1.0 1 "embedded"))))
          (file-png-save RUN-NONINTERACTIVE img l
                         (string-append path ".painted.png") "p" 0 9 0 0 0 0 0))
        (gimp-image-delete img)
        (loop (cdr photos) (+ n 1)))))
""",
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (bad "vgg19-missing" img c s 50.0 64 10 0 1.0 1.0 1 "vgg19"))
""",
]

# Issue 20: hostile style files, no display, transparency, masks and
# floating selections.  Each call must return an error with a message (or
# succeed as said) and GIMP must live on to run the next command.
SESSION_MAIN += [
    r"""
(let* ((img (content-image)) (c (top-layer img)))
  (define (stf style)
    (capture (lambda ()
      (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c style 50.0
                                        48 3 0 1.0 1.0 1 "embedded")))))
  (describe-image "hostile-before" img)
  (for-each
    (lambda (tag)
      (report (string-append "hostile-" tag)
              (stf (string-append "@TMP@/hostile/" tag)))
      (describe-image (string-append "hostile-" tag "-after") img))
    (list "huge.png" "huge.jpg" "cut.png" "cut.jpg" "eoi.jpg" "iend.png"
          "tiny.png" "folder" "fifo.png"))
  (say "INFO alive-after-hostile"))
""",
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (describe-image "nodisplay-before" img)
  (report "nodisplay"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-INTERACTIVE img c s 50.0 48 3 0
                                         1.0 1.0 1 "embedded")))))
  (describe-image "nodisplay-after" img)
  (report "nodisplay-file"
          (capture (lambda ()
            (car (plug-in-style-transfer-file RUN-INTERACTIVE img c
                                              "starry-night" 50.0 48 3 0
                                              1.0 1.0 1 "embedded")))))
  (describe-image "nodisplay-file-after" img))
""",
    r"""
(let* ((img (content-image)) (c (top-layer img)))
  (define (stf tag style)
    (let ((r (capture (lambda ()
               (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c style
                                                 50.0 48 3 0 1.0 1.0 1
                                                 "embedded"))))))
      (report tag r)
      (if (eq? (car r) 'ok)
          (begin (describe (string-append tag "-result") (cadr r))
                 (raw img (cadr r) (string-append tag ".raw"))))))
  (define (std tag file)
    (let* ((simg (car (gimp-file-load RUN-NONINTERACTIVE file file)))
           (s (top-layer simg))
           (r (st img c s 50.0 48 3 0 1.0 1.0 1 "embedded")))
      (report tag r)
      (if (eq? (car r) 'ok)
          (begin (describe (string-append tag "-result") (cadr r))
                 (raw img (cadr r) (string-append tag ".raw"))))
      (gimp-image-delete simg)))
  (stf "hidden-red-file" "@TMP@/hidden-red.png")
  (stf "hidden-white-file" "@TMP@/hidden-white.png")
  (std "hidden-red-layer" "@TMP@/hidden-red.png")
  (std "hidden-white-layer" "@TMP@/hidden-white.png"))
""",
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg))
       (m (car (gimp-layer-create-mask c ADD-MASK-WHITE))))
  (gimp-layer-add-mask c m)
  (gimp-context-set-foreground '(0 0 0))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 128 0 128 192)
  (gimp-drawable-edit-fill m FILL-FOREGROUND)
  (gimp-selection-none img)
  (let ((r (quick img c s)))
    (report "masked" r)
    (if (eq? (car r) 'ok)
        (begin (describe "masked-result" (cadr r))
               (raw img (cadr r) "masked-result.raw")))))
""",
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 50 50)
  (gimp-edit-copy c)
  (let ((f (car (gimp-edit-paste c FALSE))))
    (describe-image "floating-before" img)
    (bad "floating-other" img c s 50.0 48 3 0 1.0 1.0 1 "embedded")
    (bad "floating-self" img f s 50.0 48 3 0 1.0 1.0 1 "embedded")))
""",
]

# Session 2, traced: one non-interactive run with a selection, then the
# dialog answered OK, then answered Cancel.
SESSION_TRACED = [
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 64 48 128 96)
  (report "traced" (quick img c s))
  (describe-image "traced-after" img)
  (report "dialog-ok"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-INTERACTIVE img c s
                                         50.0 64 10 0 1.0 1.0 1 "embedded")))))
  (describe-image "dialog-ok-after" img)
  (report "dialog-cancel"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-INTERACTIVE img c s
                                         50.0 64 10 0 1.0 1.0 1 "embedded")))))
  (describe-image "dialog-cancel-after" img)
  (say "INFO style-image " simg)
  (report "dialog-closed-style"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-INTERACTIVE img c s
                                         50.0 64 10 0 1.0 1.0 1 "embedded")))))
  (describe-image "dialog-closed-style-after" img)
  (gimp-image-convert-indexed img 0 0 16 FALSE FALSE "")
  (report "dialog-indexed"
          (capture (lambda ()
            (car (plug-in-style-transfer RUN-INTERACTIVE img c c
                                         50.0 64 10 0 1.0 1.0 1 "embedded")))))
  (describe-image "dialog-indexed-after" img))
""",
]

# Session 2c: a memory budget of 48 MiB (ST_MEMORY_BUDGET, as a user with
# little memory would have): a size over it is refused with the largest
# size that fits, size 0 shrinks the run to fit and says so, and a 30000 x
# 30000 layer is refused before a pixel is read.
SESSION_BUDGET = [
    r"""
(let* ((simg (style-image)) (s (top-layer simg))
       (img (car (gimp-image-new 1600 1200 RGB)))
       (c (car (gimp-layer-new img 1600 1200 RGB-IMAGE "big" 100
                               LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img c 0 0)
  (plug-in-plasma RUN-NONINTERACTIVE img c 3 1.0)
  (describe-image "budget-before" img)
  (bad "budget-over" img c s 50.0 1600 4 0 1.0 1.0 1 "embedded")
  (let ((r (st img c s 50.0 0 4 0 1.0 1.0 1 "embedded")))
    (report "budget-auto" r)
    (if (eq? (car r) 'ok) (describe "budget-auto-result" (cadr r)))))
""",
    r"""
(let* ((simg (style-image)) (s (top-layer simg))
       (img (car (gimp-image-new 30000 30000 RGB)))
       (c (car (gimp-layer-new img 30000 30000 RGB-IMAGE "huge" 100
                               LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img c 0 0)
  (describe-image "huge-before" img)
  (bad "huge-30000" img c s 50.0 30000 4 0 1.0 1.0 1 "embedded"))
""",
]

# Session 2d: the plug-in under "ulimit -v" 500 MB, too little for the
# numeric library's buffers: the call returns the out-of-memory message
# and the plug-in ends (it used to be able to hang at exit, OpenBLAS
# joining threads that retried their allocation), so GIMP goes on.
SESSION_OOM = [
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (describe-image "oom-before" img)
  (bad "oom" img c s 50.0 0 3 0 1.0 1.0 1 "embedded")
  (say "INFO alive-after-oom"))
""",
]

# Session 3: a long run that the test kills.
SESSION_KILL = [
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (raw img c "kill-content-before.raw")
  (describe-image "kill-before" img)
  (say "INFO kill-start")
  (report "kill" (st img c s 50.0 192 5000 0 1.0 1.0 1 "embedded"))
  (describe-image "kill-after" img)
  (raw img c "kill-content-after.raw"))
""",
    r"""(say "INFO alive-after-kill")""",
]

# Session 4: one small run under valgrind memcheck.
SESSION_VALGRIND = [
    r"""
(let* ((img (content-image)) (c (top-layer img))
       (simg (style-image)) (s (top-layer simg)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 64 48 128 96)
  (report "valgrind" (st img c s 50.0 32 2 0 1.0 1.0 1 "embedded"))
  (describe-image "valgrind-after" img))
""",
]

# ------------------------------------------------------------------ checks

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print("ok   - %s" % name)
    else:
        failures.append(name)
        print("FAIL - %s %s" % (name, detail))


# ------------------------------------------------------------ GIMP driver

class Session:
    """One run of gimp-console and what its batch commands said."""

    def __init__(self, log):
        self.log = log
        self.results = {}   # tag -> ("OK", ret) or ("ERR", message)
        self.layers = {}    # tag -> dict of fields
        self.images = {}    # tag -> list of layer ids
        self.info = {}      # tag -> text
        for line in log.splitlines():
            m = re.match(r"script-fu-Warning: ST (\w+) (\S+) ?(.*)$", line)
            if not m:
                continue
            kind, tag, rest = m.groups()
            if kind == "OK":
                value = rest.split("=", 1)[1]
                self.results[tag] = ("OK", int(value) if re.match(
                    r"-?\d+$", value) else value)
            elif kind == "ERR":
                self.results[tag] = ("ERR", rest[len("msg="):])
            elif kind == "IMAGE":
                ids = rest[len("layers="):]
                self.images[tag] = [int(x) for x in ids.split(",") if x]
            elif kind == "LAYER":
                fields, name = rest.split(" name=", 1)
                d = dict(kv.split("=") for kv in fields.split())
                d = {k: int(v) for k, v in d.items()}
                d["name"] = name
                self.layers[tag] = d
            elif kind == "INFO":
                self.info[tag] = rest


def gimp_env(gimp_dir, extra=None):
    env = dict(os.environ)
    env["GIMP2_DIRECTORY"] = gimp_dir
    env.pop("DISPLAY", None)
    env.pop("ST_VGG19_WEIGHTS", None)
    env.update(extra or {})
    return env


def gimp_argv(commands, prelude):
    argv = [GIMP, "-i", "-d", "-f"]
    for command in commands:
        argv += ["-b", prelude + command]
    return argv + ["-b", "(gimp-quit 0)"]


def make_gimp_dir(root, name, plugin, wrapper_for=None, paintings=None):
    """A GIMP2_DIRECTORY with the plug-in installed in its own folder."""
    gimp_dir = os.path.join(root, name)
    for sub in ("brushes", "dynamics", "fonts", "gradients", "palettes",
                "patterns", "tool-presets", "scripts", "mypaint-brushes",
                "plug-ins/style-transfer"):
        os.makedirs(os.path.join(gimp_dir, sub), exist_ok=True)
    target = os.path.join(gimp_dir, "plug-ins", "style-transfer",
                          "style-transfer")
    if wrapper_for:
        with open(target, "w") as f:
            f.write("#!/bin/sh\nLD_PRELOAD=%s exec %s \"$@\"\n"
                    % (wrapper_for, plugin))
        os.chmod(target, 0o755)
    else:
        shutil.copy2(plugin, target)
    if paintings:
        shutil.copytree(paintings, os.path.join(os.path.dirname(target),
                                                "paintings"))
    return gimp_dir, target


def start_gimp(argv, env, log_path):
    """gimp-console in a process group of its own, so that a hung session
    can be killed with its plug-ins (and Xvfb)."""
    with open(log_path, "w") as log:
        return subprocess.Popen(argv, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_gimp(proc, timeout):
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def run_session(name, gimp_dir, commands, prelude, out, env_extra=None,
                xvfb=False, timeout=300):
    argv = gimp_argv(commands, prelude)
    if xvfb:
        argv = ["xvfb-run", "-a"] + argv
    log_path = os.path.join(out, name + ".log")
    t0 = time.time()
    proc = start_gimp(argv, gimp_env(gimp_dir, env_extra), log_path)
    finished = wait_gimp(proc, timeout)
    check("%s: GIMP session ends within %d s" % (name, timeout), finished)
    print("# session %s: %.1f s, log in %s" % (name, time.time() - t0,
                                               log_path))
    with open(log_path, encoding="utf-8", errors="replace") as f:
        return Session(f.read())


# ------------------------------------------------------------ pixel helpers

def load_raw(out, name, layer):
    """The layer's own channels from a file-raw-save2 export, which adds an
    alpha channel to layers without one once the image has several."""
    data = np.fromfile(os.path.join(out, name), dtype=np.uint8)
    channels = data.size // (layer["h"] * layer["w"])
    data = data.reshape(layer["h"], layer["w"], channels)
    if channels > layer["bpp"]:
        assert (data[..., layer["bpp"]:] == 255).all(), name
    return data[..., :layer["bpp"]]


def mean_rgb(pixels):
    return pixels[..., :3].reshape(-1, 3).astype(np.float64).mean(axis=0)


# ------------------------------------------------------------------- tests

def expect_error(s, tag, before, pattern=None, calling=None):
    """tag failed with a message matching pattern and left before's layers."""
    result = s.results.get(tag)
    ok = result is not None and result[0] == "ERR" and len(result[1]) > 10
    check("%s: returns an error with a message" % tag, ok, repr(result))
    if ok:
        print("#      %s" % result[1])
        if pattern:
            check("%s: message says %r" % (tag, pattern),
                  re.search(pattern, result[1]) is not None, result[1])
        if calling is not None:
            is_calling = "invalid input arguments" in result[1]
            check("%s: %s error" % (tag, "calling" if calling else "execution"),
                  is_calling == calling, result[1])
    check("%s: adds no layer" % tag,
          s.images.get(tag + "-after") == before,
          "%r -> %r" % (before, s.images.get(tag + "-after")))


def test_main(s, out, have_images):
    res = s.results.get("main")
    check("main: plug-in-style-transfer succeeds", res and res[0] == "OK",
          repr(res))
    if not res or res[0] != "OK":
        return
    new = res[1]
    before, after = s.images["main-before"], s.images["main-after"]
    content = s.layers["main-content"]
    check("main: exactly one new layer", len(after) == len(before) + 1,
          "%r -> %r" % (before, after))
    check("main: the return value is the new layer, directly above the "
          "content", after == [new] + before, "%r, %r" % (new, after))
    check("main: the new layer is the active layer",
          s.info.get("main-active") == str(new), s.info.get("main-active"))
    result = s.layers["main-result"]
    for key in ("w", "h", "x", "y"):
        check("main: same %s as the content" % key,
              result[key] == content[key], "%r vs %r" % (result, content))
    expected_name = "Style Transfer — %s" % (
        "starry_night" if have_images else "Untitled")
    check("main: named after the style", result["name"] == expected_name,
          result["name"])

    before_px = load_raw(out, "main-content-before.raw", content)
    after_px = load_raw(out, "main-content-after.raw", content)
    check("main: content pixels byte-identical after the run",
          np.array_equal(before_px, after_px))

    result_px = load_raw(out, "main-result.raw", result)
    style_px = load_raw(out, "main-style.raw", s.layers["main-style"])
    mc, ms, mr = mean_rgb(before_px), mean_rgb(style_px), mean_rgb(result_px)
    d_content = np.linalg.norm(mc - ms)
    d_result = np.linalg.norm(mr - ms)
    print("#      mean RGB: content %s, style %s, result %s"
          % (np.round(mc, 1), np.round(ms, 1), np.round(mr, 1)))
    check("main: colours move towards the style's",
          d_result < 0.8 * d_content,
          "distance to style mean %.1f -> %.1f" % (d_content, d_result))
    diff = np.abs(result_px[..., :3].astype(int) - before_px[..., :3]).mean()
    check("main: result differs from the content", diff > 8, "%.2f" % diff)
    check("main: result is not flat", result_px[..., :3].std() > 15,
          "%.2f" % result_px[..., :3].std())
    check("main: PNG of the new layer exported",
          os.path.getsize(os.path.join(out, "main-result.png")) > 1000)

    res = s.results.get("last-vals")
    content_at = after.index(content["id"])
    check("with-last-vals: succeeds with a new layer above the content",
          res and res[0] == "OK"
          and s.images["last-vals-after"]
          == after[:content_at] + [res[1]] + after[content_at:],
          "%r %r" % (res, s.images["last-vals-after"]))
    expect_error(s, "closed-style", s.images["last-vals-after"],
                 r"invalid ID|does not exist")
    if have_images:
        res = s.results.get("closed-style-last-vals")
        layer = s.layers.get("closed-style-last-vals-result", {})
        check("Repeat after the style's image was closed paints with its "
              "file", res and res[0] == "OK"
              # (GIMP adds " #1" to a name already in the image)
              and re.match(r"Style Transfer — starry_night( #\d+)?$",
                           layer.get("name", "")) is not None,
              "%r %r" % (res, layer))
    res = s.results.get("unsaved-style")
    check("a style image that was never saved paints", res and res[0] == "OK",
          repr(res))
    expect_error(s, "unsaved-style-last-vals",
                 s.images.get("unsaved-style-after"),
                 r"closed and is not on disk: choose a style with Filters",
                 calling=True)


def test_preserve(s, out):
    res = s.results.get("preserve")
    check("preserve colours: succeeds", res and res[0] == "OK", repr(res))
    if not res or res[0] != "OK" or "main-result" not in s.layers:
        return
    content = load_raw(out, "main-content-before.raw", s.layers["main-content"])
    styled = load_raw(out, "main-result.raw", s.layers["main-result"])
    kept = load_raw(out, "preserve-result.raw", s.layers["preserve-result"])
    # Preserve colours keeps the photo's colour and takes the painting's
    # luminance: compare the mean chroma (YCbCr's Cb, Cr), which the
    # painting's brightness does not move.
    def chroma(rgb):
        r, g, b = rgb
        return np.array([-0.1687 * r - 0.3313 * g + 0.5 * b,
                         0.5 * r - 0.4187 * g - 0.0813 * b])
    d_styled = np.linalg.norm(chroma(mean_rgb(styled))
                              - chroma(mean_rgb(content)))
    d_kept = np.linalg.norm(chroma(mean_rgb(kept)) - chroma(mean_rgb(content)))
    check("preserve colours: mean chroma stays near the content's",
          d_kept < 0.5 * d_styled, "%.1f vs %.1f" % (d_kept, d_styled))


def test_same_image_and_group(s):
    res = s.results.get("same-image")
    check("same-image style layer: succeeds", res and res[0] == "OK",
          repr(res))
    if res and res[0] == "OK":
        style_id, content_id = s.images["same-image-before"]
        check("same-image style layer: result between style and content",
              s.images["same-image-after"] == [style_id, res[1], content_id],
              repr(s.images["same-image-after"]))
        check("same-image style layer: named after the style layer",
              s.layers["same-image-result"]["name"]
              == "Style Transfer — brush strokes",
              s.layers["same-image-result"]["name"])

    res = s.results.get("group")
    check("content in a layer group: succeeds", res and res[0] == "OK",
          repr(res))
    if res and res[0] == "OK":
        group = int(s.info["group-id"])
        children = [int(x) for x in s.info["group-children"].split(",")]
        check("content in a layer group: result inside the group, above "
              "the content",
              s.layers["group-result"]["parent"] == group
              and len(children) == 2 and children[0] == res[1],
              "%r %r" % (s.layers["group-result"], children))


def test_alpha(s, out):
    res = s.results.get("alpha")
    check("alpha: succeeds", res and res[0] == "OK", repr(res))
    if not res or res[0] != "OK":
        return
    content, result = s.layers["alpha-content"], s.layers["alpha-result"]
    check("alpha: same size and offsets (128x96 at 30,20)",
          all(result[k] == content[k] for k in ("w", "h", "x", "y"))
          and (content["w"], content["x"], content["y"]) == (128, 30, 20),
          "%r vs %r" % (result, content))
    check("alpha: result has an alpha channel", result["bpp"] == 4,
          repr(result))
    a = load_raw(out, "alpha-content.raw", content)
    b = load_raw(out, "alpha-result.raw", result)
    check("alpha: transparent areas kept (alpha identical)",
          np.array_equal(a[..., 3], b[..., 3]))
    check("alpha: has fully and partly transparent pixels",
          (a[..., 3] == 0).sum() > 1000
          and ((a[..., 3] > 0) & (a[..., 3] < 255)).sum() > 50)
    visible = a[..., 3] == 255
    diff = np.abs(a[..., :3].astype(int) - b[..., :3])[visible].mean()
    check("alpha: visible pixels repainted", diff > 8, "%.2f" % diff)


def test_selection(s, out):
    res = s.results.get("selection")
    check("selection: succeeds", res and res[0] == "OK", repr(res))
    if not res or res[0] != "OK":
        return
    check("selection: result has a layer mask",
          s.layers["selection-result"]["mask"] != -1,
          repr(s.layers["selection-result"]))
    a = load_raw(out, "selection-before.raw", s.layers["selection-before"])
    b = load_raw(out, "selection-after.raw", s.layers["selection-after"])
    inside = np.zeros(a.shape[:2], bool)
    inside[48:144, 64:192] = True
    check("selection: composite unchanged outside the selection",
          np.array_equal(a[~inside], b[~inside]),
          "max diff %d" % np.abs(a[~inside].astype(int) - b[~inside]).max())
    diff = np.abs(a[inside].astype(int) - b[inside]).mean()
    check("selection: composite repainted inside", diff > 8, "%.2f" % diff)
    check("selection: selection left as it was",
          s.info.get("selection-empty") == "0", s.info.get("selection-empty"))


def test_gray(s, out):
    for tag, c_tag, r_tag in (("gray", "gray-content", "gray-result"),
                              ("gray-alpha", "graya-content", "graya-result")):
        res = s.results.get(tag)
        check("%s: succeeds" % tag, res and res[0] == "OK", repr(res))
        if not res or res[0] != "OK":
            continue
        content, result = s.layers[c_tag], s.layers[r_tag]
        check("%s: result is a grayscale layer like the content" % tag,
              result["gray"] == 1 and result["bpp"] == content["bpp"],
              "%r vs %r" % (result, content))
        a = load_raw(out, c_tag + ".raw", content)
        b = load_raw(out, r_tag + ".raw", result)
        if content["bpp"] == 2:
            check("%s: transparent areas kept" % tag,
                  np.array_equal(a[..., 1], b[..., 1]))
            visible = a[..., 1] == 255
        else:
            visible = np.ones(a.shape[:2], bool)
        diff = np.abs(a[..., 0].astype(int) - b[..., 0])[visible].mean()
        check("%s: repainted" % tag, diff > 5, "%.2f" % diff)


def test_file_procedure(s, root):
    before = s.images.get("file-before")
    res = s.results.get("file-painting")
    check("file procedure: an installed painting by its id",
          res and res[0] == "OK", repr(res))
    if res and res[0] == "OK":
        check("file procedure: one new layer above the content",
              s.images["file-painting-after"] == [res[1]] + before,
              "%r -> %r" % (before, s.images["file-painting-after"]))
        check("file procedure: named after the painting's title",
              s.layers["file-painting-result"]["name"]
              == "Style Transfer — The Starry Night",
              s.layers["file-painting-result"]["name"])
    res = s.results.get("opened-painting")
    check("an installed painting opened in GIMP: the layer is named after "
          "its title",
          res and res[0] == "OK"
          and s.layers["opened-painting-result"]["name"]
          == "Style Transfer — The Scream", repr(res) + repr(
              s.layers.get("opened-painting-result")))
    res = s.results.get("opened-painting-repeat")
    check("Repeat after the installed painting's image was closed paints "
          "with the installed painting",
          res and res[0] == "OK"
          and re.match(r"Style Transfer — The Scream( #\d+)?$",
                       s.layers["opened-painting-repeat-result"]["name"])
          is not None, repr(res) + repr(
              s.layers.get("opened-painting-repeat-result")))
    res = s.results.get("file-path")
    check("file procedure: a picture file that is not open",
          res and res[0] == "OK"
          and s.layers["file-path-result"]["name"]
          == "Style Transfer — the_scream", repr(res))
    after = s.images.get("opened-painting-after")
    expect_error(s, "file-missing", after,
                 r"does not exist, and no installed painting", calling=True)
    expect_error(s, "file-empty", after, r"is empty", calling=True)
    expect_error(s, "file-not-a-picture", after, r"cannot open",
                 calling=False)
    check("file procedure: a Script-Fu batch paints a folder of photos",
          s.info.get("batch-count") == "2" and all(
              os.path.getsize(os.path.join(root, "photos", p + ".painted.png"))
              > 1000 for p in ("a.jpg", "b.jpg")),
          repr(s.info.get("batch-count")))


def test_messages(s):
    """Every message is a sentence: capital first, final period, and the
    engine's lower-case messages are capitalised at the plug-in."""
    for tag, (kind, value) in sorted(s.results.items()):
        if kind != "ERR":
            continue
        m = re.search(r"(?:arguments|failed): (.*)$", value)
        message = (m.group(1) if m else value).strip()
        # A message may start with the path it is about.
        check("%s: message is a sentence (%r)" % (tag, message[:40]),
              (message[:1].isupper() or message[:1] == "/")
              and message[-1:] in ".!?", message)
    res = s.results.get("vgg19-missing")
    check("vgg19 not installed: the plug-in's own message",
          res and res[0] == "ERR" and
          "VGG19 weights are not installed.  Install them with " in res[1]
          and "\"gimp-style-transfer-fetch-vgg19 (" not in res[1],
          repr(res))
    res = s.results.get("network-unknown")
    check("unknown network: capitalised",
          res and "Unknown network" in res[1], repr(res))


def luminance(pixels):
    """Y' of R'G'B' bytes as GIMP converts them (sRGB, Rec. 709 weights on
    linear light), or the gray channel itself."""
    if pixels.shape[-1] < 3:
        return pixels[..., 0].astype(np.float64)
    v = pixels[..., :3].astype(np.float64) / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    y = lin @ np.array([0.2126, 0.7152, 0.0722])
    return 255.0 * np.where(y <= 0.0031308, 12.92 * y,
                            1.055 * y ** (1 / 2.4) - 0.055)


def test_gray_as_strong_as_rgb(s, out):
    change = {}
    for tag in ("vs-rgb", "vs-gray"):
        res = s.results.get(tag)
        check("%s: succeeds" % tag, res and res[0] == "OK", repr(res))
        if not res or res[0] != "OK":
            return
        c = luminance(load_raw(out, tag + "-content.raw",
                               s.layers[tag + "-content"]))
        r = luminance(load_raw(out, tag + "-result.raw",
                               s.layers[tag + "-result"]))
        change[tag] = np.abs(r - c).mean()
    print("#      luminance change: RGB %.1f, grayscale %.1f"
          % (change["vs-rgb"], change["vs-gray"]))
    # Painted from the colour style, the gray layer kept about 0.7 of the
    # RGB run's change (blotchy); from the style's luminance, about 0.9.
    check("grayscale receives as much of the painting as RGB (%.2f)"
          % (change["vs-gray"] / change["vs-rgb"]),
          change["vs-gray"] >= 0.8 * change["vs-rgb"])


def test_size_0(s):
    res = s.results.get("size-0")
    check("size 0 (the layer's own size): succeeds", res and res[0] == "OK",
          repr(res))
    if res and res[0] == "OK":
        r = s.layers["size-0-result"]
        check("size 0: result has the layer's size",
              (r["w"], r["h"]) == (256, 192), repr(r))


def test_bad_calls(s):
    before = s.images["bad-before"]
    expect_error(s, "indexed", s.images["indexed-after"],
                 r"Image > Mode > RGB", calling=True)
    expect_error(s, "same-layer", before, r"different layer", calling=True)
    expect_error(s, "strength-negative", before, r"Strength", calling=True)
    expect_error(s, "strength-101", before, r"Strength", calling=True)
    expect_error(s, "strength-nan", before, r"strength", calling=True)
    expect_error(s, "strength-inf", before, r"strength", calling=True)
    expect_error(s, "size-negative", before, r"Size", calling=True)
    expect_error(s, "size-huge", before, r"Size", calling=True)
    expect_error(s, "size-tiny", before, r"too small")
    expect_error(s, "iterations-negative", before, r"Iterations",
                 calling=True)
    expect_error(s, "iterations-billion", before, r"Iterations",
                 calling=True)
    expect_error(s, "preserve-2", before, r"Preserve", calling=True)
    expect_error(s, "style-scale-zero", before, r"Style scale", calling=True)
    expect_error(s, "style-scale-nan", before, r"tyle.scale", calling=True)
    expect_error(s, "style-scale-11", before, r"Style scale", calling=True)
    expect_error(s, "smoothness-negative", before, r"Smoothness",
                 calling=True)
    expect_error(s, "smoothness-inf", before, r"moothness", calling=True)
    expect_error(s, "smoothness-1000", before, r"Smoothness", calling=True)
    expect_error(s, "network-missing", before, r"does not exist",
                 calling=False)
    expect_error(s, "network-garbage", before, r"garbage\.safetensors",
                 calling=False)
    expect_error(s, "network-empty", before, r"empty\.safetensors",
                 calling=False)
    expect_error(s, "network-unknown", before, r"resnet50", calling=False)
    for tag in ("content-1x1", "content-2x2", "content-30000x30"):
        expect_error(s, tag, s.images[tag + "-after"], r"too small")
    expect_error(s, "transparent", s.images["transparent-after"],
                 r"transparent", calling=False)
    expect_error(s, "selection-outside", s.images["selection-outside-after"],
                 r"selection", calling=False)
    expect_error(s, "style-8x8", s.images["style-8x8-after"], r"too small")


def test_budget(s):
    expect_error(s, "budget-over", s.images["budget-before"],
                 r"largest size that fits is \d+ px", calling=False)
    res = s.results.get("budget-auto")
    check("budget: size 0 shrinks the run to fit and succeeds",
          res and res[0] == "OK", repr(res))
    if res and res[0] == "OK":
        r = s.layers["budget-auto-result"]
        check("budget: the shrunk result is scaled back to the layer's size",
              (r["w"], r["h"]) == (1600, 1200), repr(r))
    expect_error(s, "huge-30000", s.images.get("huge-before"),
                 r"largest size that fits", calling=False)


def test_review20(s, out):
    """Issue 20 through the plug-in (see SESSION_MAIN's last commands)."""
    before = s.images.get("hostile-before")
    for tag, pattern in (("huge.png", r"60000 x 60000 pixels.*memory budget"),
                         ("huge.jpg", r"60000 x 60000 pixels.*memory budget"),
                         ("cut.png", r"truncated"),
                         ("cut.jpg", r"truncated"),
                         ("eoi.jpg", r"corrupt"),
                         ("iend.png", r"corrupt|truncated|Not enough"),
                         ("tiny.png", r"truncated"),
                         ("folder", r"is a folder"),
                         ("fifo.png", r"not a regular file")):
        expect_error(s, "hostile-" + tag, before, pattern)
    check("hostile style files: GIMP lives on",
          "alive-after-hostile" in s.info)
    for tag in ("nodisplay", "nodisplay-file"):
        expect_error(s, tag, s.images.get("nodisplay-before"),
                     r"without a display", calling=False)
    # The colour under fully transparent style pixels is never read: the
    # same style with red or white there paints the same result, from a
    # file and from a layer.
    for kind in ("file", "layer"):
        red, white = "hidden-red-" + kind, "hidden-white-" + kind
        ok = all(s.results.get(t, ("",))[0] == "OK" for t in (red, white))
        check("hidden pixels (%s): both runs succeed" % kind, ok,
              "%r %r" % (s.results.get(red), s.results.get(white)))
        if ok:
            a = load_raw(out, red + ".raw", s.layers[red + "-result"])
            b = load_raw(out, white + ".raw", s.layers[white + "-result"])
            check("hidden pixels (%s): red or white under transparency "
                  "gives the same result" % kind, np.array_equal(a, b),
                  "mean difference %.2f"
                  % np.abs(a.astype(int) - b).mean())
    res = s.results.get("masked")
    check("content with a layer mask: succeeds", res and res[0] == "OK",
          repr(res))
    if res and res[0] == "OK":
        r = s.layers["masked-result"]
        check("content with a layer mask: the result has alpha",
              r["bpp"] == 4, repr(r))
        if r["bpp"] == 4:
            px = load_raw(out, "masked-result.raw", r)
            check("content with a layer mask: hidden where the content is "
                  "masked, shown elsewhere",
                  (px[:, 136:, 3] == 0).all() and (px[:, :120, 3] == 255).all(),
                  "alpha right %s, left %s" % (np.unique(px[:, 136:, 3])[:5],
                                               np.unique(px[:, :120, 3])[:5]))
    for tag in ("floating-other", "floating-self"):
        expect_error(s, tag, s.images.get("floating-before"),
                     r"floating selection", calling=True)


def test_log(s, name):
    check("%s: no undo group left open" % name,
          "inconsistent state" not in s.log)
    check("%s: the plug-in never crashed" % name,
          "terminated" not in s.log and "crashed" not in s.log.lower())


def trace_runs(path):
    """The trace file split into one list of events per plug-in process,
    and the progress texts of each."""
    runs = {}
    progress = {}
    order = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                pid, event = line.rstrip("\n").split(" ", 1)
                if pid not in runs:
                    runs[pid] = []
                    progress[pid] = []
                    order.append(pid)
                if event.startswith("progress "):
                    progress[pid].append(event[len("progress "):])
                else:
                    runs[pid].append(event)
    return [runs[pid] for pid in order], [progress[pid] for pid in order]


def check_undo_group(name, events, expect_mask):
    kinds = [e.split()[0] for e in events]
    check("%s: exactly one undo group" % name,
          kinds.count("undo-group-start") == 1
          and kinds.count("undo-group-end") == 1, repr(kinds))
    if kinds.count("undo-group-start") != 1 or "undo-group-end" not in kinds:
        return
    start, end = kinds.index("undo-group-start"), kinds.index("undo-group-end")
    changes = {"insert-layer", "add-mask", "set-active-layer", "set-offsets",
               "merge-shadow"}
    outside = [k for i, k in enumerate(kinds)
               if k in changes and not start < i < end]
    check("%s: every change to the image inside the group" % name,
          not outside and "insert-layer" in kinds[start:end], repr(kinds))
    check("%s: %s layer mask" % (name, "a" if expect_mask else "no"),
          ("add-mask" in kinds) == expect_mask, repr(kinds))
    check("%s: nothing after the undo group" % name,
          end == len(kinds) - 1, repr(kinds))


def test_traced(s, trace_path):
    runs, progress = trace_runs(trace_path)
    print("# trace: %r" % runs)
    check("traced: four plug-in runs traced", len(runs) == 4, repr(runs))
    res = s.results.get("traced")
    check("traced: succeeds", res and res[0] == "OK", repr(res))
    if runs:
        check_undo_group("traced run", runs[0], expect_mask=True)
        texts = progress[0]
        print("# progress: %r" % texts[:3] + " ... %r" % texts[-2:])
        left = r"About (\d+ h )?(\d+ min )?\d+ s left · "
        check("traced run: progress says the time left first, then the "
              "scale and the iteration",
              any(re.match(left + r"scale 1/1, step 10/10$", t)
                  for t in texts)
              and any(re.match(left + r"scale 1/1, step [1-9]/10$", t)
                      for t in texts), repr(texts))
        # GIMP's status bar cuts the text after about 50 characters in a
        # 1024-px window.
        painting = [t for t in texts if " left · " in t]
        check("traced run: the progress text fits the status bar (at most "
              "48 characters)", painting and
              max(len(t) for t in painting) <= 48,
              repr(max(painting, key=len) if painting else None))

    res = s.results.get("dialog-ok")
    before = s.images.get("traced-after", [])
    check("dialog answered OK: a new layer above the content",
          res and res[0] == "OK" and before
          and s.images.get("dialog-ok-after")
          == before[:-1] + [res[1]] + before[-1:],
          "%r %r" % (res, s.images.get("dialog-ok-after")))
    if len(runs) > 1:
        check("dialog answered OK: the dialog was shown",
              runs[1] and runs[1][0] == "dialog ok mapped=1", repr(runs[1]))
        check_undo_group("dialog run", runs[1][1:], expect_mask=True)
    # Script-Fu does not raise an error for GIMP_PDB_CANCEL; the call
    # simply returns no layer.
    res = s.results.get("dialog-cancel")
    check("dialog cancelled: returns no layer",
          res is not None and not isinstance(res[1], int), repr(res))
    check("dialog cancelled: no layer added, nothing done",
          s.images.get("dialog-cancel-after") == s.images.get("dialog-ok-after")
          and len(runs) > 2 and runs[2] == ["dialog cancel mapped=1"],
          "%r %r" % (s.images.get("dialog-cancel-after"), runs[2:]))
    check("style image closed while the dialog is open: seen",
          len(runs) > 3 and runs[3][:1] == ["dialog ok-close:2 mapped=1"]
          and s.info.get("style-image") == "2", "%r %r" % (
              runs[3:], s.info.get("style-image")))
    expect_error(s, "dialog-closed-style", s.images.get("dialog-cancel-after"),
                 r"does not exist any more", calling=True)
    expect_error(s, "dialog-indexed", s.images.get("dialog-cancel-after"),
                 r"Image > Mode > RGB", calling=True)
    check("dialog-indexed: refused before the dialog opens", len(runs) == 4,
          repr(runs[4:]))


def test_kill(gimp_dir, installed, prelude, out):
    """Kills the plug-in mid-run, as GIMP 2.10 does on Cancel.

    No timing: the plug-in runs behind the trace shim, which writes its
    process id to a FIFO at its first progress text (the run is then in
    the optimisation, 5000 iterations from the end); the test kills that
    process when the line arrives, however slow a busy machine makes GIMP's
    start.  The deadlines below are safety nets against a hang, far longer
    than any run."""
    log_path = os.path.join(out, "kill.log")
    fifo = os.path.join(os.path.dirname(gimp_dir), "kill-running.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    # our own writer keeps the FIFO from reading as end-of-file (select
    # would spin) before the plug-in writes
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keeper = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    proc = start_gimp(gimp_argv(SESSION_KILL, prelude),
                      gimp_env(gimp_dir, {"ST_TRACE_RUNNING_FIFO": fifo}),
                      log_path)
    killed = None
    line = b""
    safety = time.time() + 1800
    while b"\n" not in line and time.time() < safety:
        ready, _, _ = select.select([reader], [], [], 1.0)
        if ready:
            line += os.read(reader, 64)
        elif proc.poll() is not None:
            break  # GIMP ended without the plug-in ever running
    if b"\n" in line:
        killed = int(line.split(b"\n")[0])
        os.kill(killed, signal.SIGKILL)
    os.close(reader)
    os.close(keeper)
    check("kill: GIMP session ends", wait_gimp(proc, 900))
    with open(log_path, encoding="utf-8", errors="replace") as f:
        s = Session(f.read())
    print("# session kill: log in %s" % log_path)
    check("kill: the plug-in was found and killed mid-run", killed is not None)
    res = s.results.get("kill")
    check("kill: the call reports an error", res and res[0] == "ERR",
          repr(res))
    check("kill: no layer added",
          s.images.get("kill-after") == s.images.get("kill-before"),
          "%r -> %r" % (s.images.get("kill-before"), s.images.get("kill-after")))
    if "kill-after" in s.images:
        layer = {"w": 256, "h": 192, "bpp": 3}
        check("kill: content pixels byte-identical",
              np.array_equal(load_raw(out, "kill-content-before.raw", layer),
                             load_raw(out, "kill-content-after.raw", layer)))
    check("kill: GIMP goes on with the next command",
          "alive-after-kill" in s.info)
    check("kill: no undo group left open", "inconsistent state" not in s.log)


def valgrind_cannot_run_platform(log_paths, plugin):
    """When a process under memcheck died of an instruction valgrind cannot
    run (SIGILL) in a library that is not the plug-in, the library's name;
    else None.  A SIGILL whose first frames are in the plug-in is ours and
    stays a failure."""
    for path in log_paths:
        with open(path, errors="replace") as f:
            text = f.read()
        m = re.search(r"signal 4 \(SIGILL\)(.*?)(?:==\d+== \n|\Z)", text,
                      re.S)
        if not m:
            continue
        # the frame that ran the instruction: "at 0x...: fn (in /lib/x.so)"
        # for a library without debugging symbols, "fn (file.c:12)" for
        # code built here (ours)
        first = re.search(r"at 0x[0-9A-Fa-f]+: .*?\((in )?([^)]*)\)\s*$",
                          m.group(1), re.M)
        if (first and first.group(1)
                and os.path.realpath(first.group(2))
                != os.path.realpath(plugin)):
            return "SIGILL in %s" % os.path.basename(first.group(2))
    return None


def test_valgrind(root, plugin, prelude, out):
    """The plug-in under memcheck: no error and no definite leak whose
    stack passes through our binary (the engine is linked into it).  Errors
    and leaks inside GIMP's libraries and their modules are not ours."""
    log_pattern = os.path.join(out, "valgrind-%p.log")
    gimp_dir = os.path.join(root, "valgrind")
    make_gimp_dir(root, "valgrind", plugin)
    wrapper = os.path.join(gimp_dir, "plug-ins", "style-transfer",
                           "style-transfer")
    os.remove(wrapper)
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --quiet --leak-check=full "
                "--show-leak-kinds=definite --num-callers=30 "
                "--log-file=%s %s \"$@\"\n" % (log_pattern, plugin))
    os.chmod(wrapper, 0o755)
    # no timing pass for the estimate: under memcheck it takes minutes
    s = run_session("valgrind", gimp_dir, SESSION_VALGRIND, prelude, out,
                    timeout=400, env_extra={"ST_NO_CALIBRATION": "1"})
    res = s.results.get("valgrind")
    logs = [n for n in os.listdir(out) if n.startswith("valgrind-")
            and n.endswith(".log") and n != "valgrind.log"]
    platform = valgrind_cannot_run_platform(
        [os.path.join(out, n) for n in logs], plugin)
    if platform:
        # valgrind 3.19 does not know every instruction of every processor
        # (AVX-512 FP16 or newer in libhwy's timer, loaded by GEGL on AMD
        # Zen 5): the plug-in dies of SIGILL in a library that is not ours
        # before our code runs.  That says nothing of the project: the
        # command line and the engine keep their own memcheck run
        # (tests/engine/test-memcheck.sh).
        print("# SKIP valgrind session: memcheck cannot run the platform's "
              "own libraries on this processor (%s)" % platform)
        return
    check("valgrind: the run succeeds under memcheck",
          res and res[0] == "OK", repr(res))
    ours = []
    for name in logs:
        with open(os.path.join(out, name)) as f:
            text = f.read()
        for record in re.split(r"==\d+== \n", text):
            # The dynamic loader's own reports: its rpath parsing (a known
            # memcheck false positive) and what modules allocate while
            # they are loaded.
            if re.search(r"dl-load\.c|dl-init\.c|_dl_init|dl_open_worker",
                         record):
                continue
            if "(in %s)" % plugin in record and (
                    "definitely lost" in record or "Invalid" in record
                    or "uninitialised" in record or "Conditional" in record):
                ours.append(record)
    check("valgrind: plug-in processes were checked", len(logs) >= 1,
          repr(logs))
    check("valgrind: no memory error or definite leak in our code",
          not ours, "\n".join(ours[:3]))


def png_bytes(w, h, pixel, alpha=False):
    import struct
    import zlib

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\0" + bytes(v for x in range(w) for v in pixel(x, y))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8,
                                         6 if alpha else 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_hostile_files(root, images):
    """Issue 20's style files: declared far beyond any budget, truncated,
    with end markers planted, not regular files; and a style whose hidden
    half is red (or white) under full transparency."""
    import struct
    d = os.path.join(root, "hostile")
    os.makedirs(os.path.join(d, "folder"))
    os.mkfifo(os.path.join(d, "fifo.png"))
    good = png_bytes(96, 64, lambda x, y: ((x * 7) % 256, (y * 5) % 256,
                                           ((x + y) * 3) % 256))
    def declaring(data, w, h):
        """data with its IHDR (and the IHDR's CRC) saying w x h"""
        out = bytearray(data)
        out[16:24] = struct.pack(">II", w, h)
        out[29:33] = struct.pack(">I", __import__("zlib").crc32(
            bytes(out[12:29])) & 0xffffffff)
        return bytes(out)
    # 60000 x 60000 declared in a small file: its IHDR says so; and 53
    # bytes that declare 4000 x 4000 (the IHDR, then the start of an IDAT)
    files = {"huge.png": declaring(good, 60000, 60000),
             "cut.png": good[:len(good) // 3],
             "iend.png": good[:len(good) // 2] + b"\0\0\0\0IEND\xaeB`\x82"
             + good[len(good) // 2 + 12:],
             "tiny.png": declaring(good, 4000, 4000)[:53]}
    with open(os.path.join(images, "tubingen.jpg"), "rb") as f:
        jpeg = f.read()
    files["cut.jpg"] = jpeg[:len(jpeg) // 3]
    files["eoi.jpg"] = (jpeg[:len(jpeg) // 2] + b"\xff\xd9"
                        + jpeg[len(jpeg) // 2:])
    # the frame header's size set to 60000 x 60000
    i, big = 2, bytearray(jpeg)
    while i < len(big):
        marker, length = big[i + 1], struct.unpack(">H", big[i + 2:i + 4])[0]
        if 0xc0 <= marker <= 0xcf and marker not in (0xc4, 0xc8, 0xcc):
            big[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
            break
        i += 2 + length
    files["huge.jpg"] = bytes(big)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    for name, hidden in (("hidden-red.png", (255, 0, 0, 0)),
                         ("hidden-white.png", (255, 255, 255, 0))):
        with open(os.path.join(root, name), "wb") as f:
            f.write(png_bytes(64, 64, lambda x, y: hidden if x >= 32 else (
                (250, 200, 40, 255) if (x + 2 * y) % 9 < 4
                else (20, 40, 180, 255)), alpha=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--shim", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--paintings", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--sessions", default="main,traced,budget,oom,kill,"
                        "valgrind", help="comma-separated sessions to run")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary GIMP folders")
    args = parser.parse_args()
    args.plugin = os.path.abspath(args.plugin)
    args.shim = os.path.abspath(args.shim)

    if not GIMP:
        print("gimp-console not found")
        return 77
    if not os.path.exists(args.shim):
        # without it the kill session would never hear that the run began
        print("--shim %s: no such file" % args.shim)
        return 1
    out = os.path.abspath(os.path.join(args.out, "gimp-test-output"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    root = tempfile.mkdtemp(prefix="st-gimp-")
    have_images = all(os.path.exists(os.path.join(args.images, n))
                      for n in ("tubingen.jpg", "starry_night.jpg"))
    if not have_images:
        print("# %s missing: using plasma pictures" % args.images)
    with open(os.path.join(root, "garbage.safetensors"), "wb") as f:
        f.write(b"\xff\xff\xff\x7f\x00\x00\x00\x00{not json" + bytes(100))
    open(os.path.join(root, "empty.safetensors"), "wb").close()
    make_hostile_files(root, args.images)

    prelude = (PRELUDE.replace("@OUT@", out)
               .replace("@IMAGES@", os.path.abspath(args.images))
               .replace("@HAVE_IMAGES@", "#t" if have_images else "#f"))
    main_commands = [c.replace("@TMP@", root) for c in SESSION_MAIN]

    try:
        sessions = args.sessions.split(",")
        if "main" in sessions:
            gimp_dir, _ = make_gimp_dir(root, "main", args.plugin,
                                        paintings=args.paintings)
            os.makedirs(os.path.join(root, "photos"))
            for name, src in (("a.jpg", "tubingen.jpg"),
                              ("b.jpg", "the_scream.jpg")):
                shutil.copy(os.path.join(args.images, src),
                            os.path.join(root, "photos", name))
            nodata = os.path.join(root, "no-data")
            os.makedirs(nodata)
            # a safety net against a hang, not a window: the session holds
            # some forty runs and shares the machine with other suites
            s = run_session("main", gimp_dir, main_commands, prelude, out,
                            env_extra={"XDG_DATA_HOME": nodata,
                                       "XDG_DATA_DIRS": nodata},
                            timeout=900)
            test_main(s, out, have_images)
            test_preserve(s, out)
            test_same_image_and_group(s)
            test_alpha(s, out)
            test_selection(s, out)
            test_gray(s, out)
            test_size_0(s)
            test_bad_calls(s)
            test_file_procedure(s, root)
            test_gray_as_strong_as_rgb(s, out)
            test_review20(s, out)
            test_messages(s)
            test_log(s, "main")

        if "traced" not in sessions:
            pass
        elif shutil.which("xvfb-run"):
            trace_path = os.path.join(out, "trace.txt")
            gimp_dir, _ = make_gimp_dir(root, "traced", args.plugin,
                                        wrapper_for=args.shim)
            s = run_session("traced", gimp_dir, SESSION_TRACED, prelude, out,
                            env_extra={"ST_TRACE_FILE": trace_path,
                                       "ST_TRACE_DIALOG":
                                           "ok,cancel,ok-close:2"},
                            xvfb=True)
            test_traced(s, trace_path)
            test_log(s, "traced")

        else:
            check("xvfb-run available for the dialog and undo tests", False)

        if "budget" in sessions:
            gimp_dir, _ = make_gimp_dir(root, "budget", args.plugin)
            s = run_session("budget", gimp_dir, SESSION_BUDGET, prelude, out,
                            env_extra={"ST_MEMORY_BUDGET": "48"})
            test_budget(s)
            test_log(s, "budget")

        if "oom" in sessions:
            gimp_dir, target = make_gimp_dir(root, "oom", args.plugin)
            os.remove(target)
            with open(target, "w") as f:
                f.write("#!/bin/sh\nulimit -v 500000\nexec %s \"$@\"\n"
                        % args.plugin)
            os.chmod(target, 0o755)
            s = run_session("oom", gimp_dir, SESSION_OOM, prelude, out)
            expect_error(s, "oom", s.images.get("oom-before"),
                         r"[Oo]ut of memory", calling=False)
            check("oom: GIMP goes on after the plug-in's memory error",
                  "alive-after-oom" in s.info)
            test_log(s, "oom")

        if "kill" in sessions:
            gimp_dir, installed = make_gimp_dir(root, "kill", args.plugin,
                                                wrapper_for=args.shim)
            test_kill(gimp_dir, installed, prelude, out)

        if "valgrind" not in sessions:
            pass
        elif shutil.which("valgrind"):
            test_valgrind(root, args.plugin, prelude, out)
        else:
            print("# valgrind not installed: memcheck run skipped")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("# %d passed, %d failed; images in %s" % (passed, len(failures), out))
    for name in failures:
        print("# FAILED: %s" % name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
