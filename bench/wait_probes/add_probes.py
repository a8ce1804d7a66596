#!/usr/bin/env python3
# add_probes.py TREE - add probes.h's wait probes to a copy of the source
# tree (bench/ab_ingest_probes.sh makes it): each wait of ingest's threads
# timed by site. The anchors are the source as it stands; a missing one
# is an error that names it (the code moved: update the anchor here).
import re
import sys

tree = sys.argv[1]


def edit(path, pairs):
    f = tree + "/" + path
    s = open(f).read()
    for old, new, need in pairs:
        if isinstance(old, re.Pattern):
            s, n = old.subn(new, s, count=1)
        else:
            n = s.count(old) > 0
            s = s.replace(old, new, 1)
        if not n and need:
            sys.exit("add_probes: %s: anchor not found: %r" %
                     (path, old if isinstance(old, str) else old.pattern))
    open(f, "w").write(s)


INC = '#include "core/probes.h"\n'
edit("cli/pipeline.c", [
    ('#include "cli/pipeline.h"\n', '#include "cli/pipeline.h"\n' + INC, 1),
    ("\tstruct pipeline *p = arg;\n\n",
     '\tstruct pipeline *p = arg;\n\n\twp_prio("GW_WRITER_NICE");\n', 1),
    ("\t\t\tint rc = p->read(p->ctx, 0, true, err, sizeof(err));\n",
     "\t\t\tWP_BEGIN;\n\t\t\tint rc = p->read(p->ctx, 0, true, err, "
     "sizeof(err));\n\t\t\tWP_END(WP_WR_DRAIN);\n", 1),
    ("\t\t\tif (p->stop)\n\t\t\t\tbreak;\n"
     "\t\t\tpthread_cond_wait(&p->cv, &p->mu);\n",
     "\t\t\tif (p->stop)\n\t\t\t\tbreak;\n\t\t\tWP_BEGIN;\n"
     "\t\t\tpthread_cond_wait(&p->cv, &p->mu);\n"
     "\t\t\tWP_END(WP_WR_IDLE);\n", 1),
    ("\t\t\t(void)p->read(p->ctx, mark, true, NULL, 0);\n",
     "\t\t\tWP_BEGIN;\n\t\t\t(void)p->read(p->ctx, mark, true, NULL, 0);\n"
     "\t\t\tWP_END(WP_PARSE_READ);\n", 1),
    ("\t\t\tcontinue;\n\t\t}\n\t\tpthread_cond_wait(&p->cv, &p->mu);\n\t}\n",
     "\t\t\tcontinue;\n\t\t}\n\t\tWP_BEGIN;\n"
     "\t\tpthread_cond_wait(&p->cv, &p->mu);\n"
     "\t\tWP_END(WP_PARSE_FREE);\n\t}\n", 1),
])
edit("store/blocks.c", [
    ('#include "store/store_int.h"\n', '#include "store/store_int.h"\n' + INC,
     1),
    ("\tstruct blocks_zip *z = arg;\n\n",
     '\tstruct blocks_zip *z = arg;\n\n\twp_prio("GW_ZIP_NICE");\n', 1),
    # room for a finished block: a slot (since 5b612da), an encoder before
    ("\twhile (z->n_done == ZIP_SLOTS && !z->stop)\n"
     "\t\tpthread_cond_wait(&z->cv, &z->mu);\n",
     "\twhile (z->n_done == ZIP_SLOTS && !z->stop) {\n\t\tWP_BEGIN;\n"
     "\t\tpthread_cond_wait(&z->cv, &z->mu);\n\t\tWP_END(WP_ZIP_ROOM);\n"
     "\t}\n", 0),
    ("\t\tif (i >= 0)\n\t\t\tbreak;\n\t\tpthread_cond_wait(&z->cv, &z->mu);\n",
     "\t\tif (i >= 0)\n\t\t\tbreak;\n\t\tWP_BEGIN;\n"
     "\t\tpthread_cond_wait(&z->cv, &z->mu);\n\t\tWP_END(WP_ZIP_ROOM);\n",
     0),
    ("\t\twhile (!z->stop && z->queued == 0)\n"
     "\t\t\tpthread_cond_wait(&z->cv, &z->mu);\n",
     "\t\twhile (!z->stop && z->queued == 0) {\n\t\t\tWP_BEGIN;\n"
     "\t\t\tpthread_cond_wait(&z->cv, &z->mu);\n"
     "\t\t\tWP_END(WP_ZIP_IDLE);\n\t\t}\n", 1),
    ("\t\tif (z->queued > 0 && z->n_done == 0)\n"
     "\t\t\tpthread_cond_wait(&z->cv, &z->mu);\n",
     "\t\tif (z->queued > 0 && z->n_done == 0) {\n\t\t\tWP_BEGIN;\n"
     "\t\t\tpthread_cond_wait(&z->cv, &z->mu);\n"
     "\t\t\tWP_END(WP_WR_ZIPIDLE);\n\t\t}\n", 1),
    (re.compile(r"(\t\tif \(z->queued == ZIP_QUEUE && z->n_done == 0\)\n)"
                r"\t\t\tpthread_cond_wait\(&z->cv, &z->mu\);\n"),
     r"\1\t\t{\n\t\t\tWP_BEGIN;\n\t\t\tpthread_cond_wait(&z->cv, &z->mu);\n"
     r"\t\t\tWP_END(WP_WR_ZIPFULL);\n\t\t}\n", 1),
])
edit("store/checkpoint.c", [
    ('#include "store/store_int.h"\n', '#include "store/store_int.h"\n' + INC,
     1),
    ("\tstruct ckpt *c = arg;\n\n",
     '\tstruct ckpt *c = arg;\n\n\twp_prio("GW_CKPT_NICE");\n', 1),
    ("\t\twhile (c->want || c->busy)\n\t\t\tpthread_cond_wait(&c->cv, &c->mu);\n",
     "\t\twhile (c->want || c->busy) {\n\t\t\tWP_BEGIN;\n"
     "\t\t\tpthread_cond_wait(&c->cv, &c->mu);\n"
     "\t\t\tWP_END(WP_WR_CKPT);\n\t\t}\n", 1),
])
edit("store/db.c", [
    ('#include "store/store_int.h"\n', '#include "store/store_int.h"\n' + INC,
     1),
    ("\tint pages = 0, hi = 0;\n",
     "\tint pages = 0, hi = 0;\n\tWP_BEGIN;\n\tdouble wp_t1 = 0;\n", 1),
    ("\t    blocks_flush(s, err, errlen) != 0 ||\n"
     "\t    (st = store_stmt(s, STMT_COMMIT",
     "\t    (wp_t1 = wp_now(), blocks_flush(s, err, errlen)) != 0 ||\n"
     "\t    (wp_sum[WP_WR_COMMITFLUSH] += wp_now() - wp_t1,\n"
     "\t    wp_cnt[WP_WR_COMMITFLUSH]++, 0) ||\n"
     "\t    (st = store_stmt(s, STMT_COMMIT", 1),
    ("\t\ts->txn_pages = pages;\n",
     "\t\ts->txn_pages = pages;\n\tWP_END(WP_WR_COMMIT);\n", 1),
])
