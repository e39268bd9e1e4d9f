cd /work/main/build
for i in 1 2 3 4 5 6 7 8 9 10; do
  if [ $((i % 2)) -eq 1 ]; then order="ab2-old prof-pr5"; else order="prof-pr5 ab2-old"; fi
  for v in $order; do (cd $v && sh run.sh --threads 1 --pocl-threads 1 --rounds 5 --warmup 1 --jobs 1 --passes $i > run.log 2>&1); done
done
date; echo ALLDONE
