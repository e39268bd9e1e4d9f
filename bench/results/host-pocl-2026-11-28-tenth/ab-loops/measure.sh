set -u
cd /work/main/build
for d in ab3-new prof-t10c; do
  (cd $d && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j2 2>&1 | tail -1)
done
date
(cd prof-t10c && sh run.sh --threads 1 --pocl-threads 1 --rounds 5 --warmup 1 --jobs 2 --passes 10 > run.log 2>&1)
date
echo T10DONE
for i in 1 2 3 4 5 6 7 8; do
  if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do
    (cd $( [ $v = old ] && echo ab2-old || echo ab3-new ) && sh run.sh --threads 1 --pocl-threads 1 --rounds 5 --warmup 1 --jobs 1 --passes $i > run.log 2>&1)
  done
done
date
echo ALLDONE
