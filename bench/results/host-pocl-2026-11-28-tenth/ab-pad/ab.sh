set -u
cd /work/main/build
for i in 1 2 3 4 5 6 7 8; do
  if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    (cd ab-pad-$v && sh run.sh --threads 1 --pocl-threads 1 --rounds 5 --warmup 1 --jobs 1 --passes $i > run.log 2>&1)
  done
done
echo ALLDONE
