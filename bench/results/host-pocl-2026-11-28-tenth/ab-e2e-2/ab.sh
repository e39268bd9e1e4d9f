cd /work/main/build
for i in 1 2 3 4 5 6 7 8; do
  if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for v in $order; do (cd ab-e2e-$( [ $v = old ] && echo old || echo new2 ) && sh run.sh --threads 1 --pocl-threads 1 --iterations 20 --warmup 3 > p$i.txt 2>&1); done
done
echo ALLDONE
