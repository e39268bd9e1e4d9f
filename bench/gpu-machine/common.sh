# Sourced by the run-*.sh scripts on the GPU machine (device lease): the setup they share.
# Needs S (the carried SDK: bench/device-sdk.sh) and OUT (the device tool's output folder).

# NVIDIA's OpenCL beside PoCL: the machine's loader lists only PoCL unless an ICD folder names both.
gm_icd() {
  mkdir -p /tmp/icd && echo libnvidia-opencl.so.1 > /tmp/icd/nvidia.icd && cp /etc/OpenCL/vendors/pocl.icd /tmp/icd/ && export OCL_ICD_VENDORS=/tmp/icd
}

# What machine the call got, into $OUT/machine.txt.
gm_machine() {
  { nproc; lscpu | grep -iE "model name|thread|core|socket|cache|mhz"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    dpkg -l | grep -i pocl | awk '{print $2,$3}'; date -u; } > "$OUT/machine.txt" 2>&1
}

# gm_build DIR JOBS: configure and build a carried CMake project against the SDK; on failure, the log's tail.
gm_build() {
  cmake -S "$1" -B "$1/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$S" -DOpenCL_INCLUDE_DIR="$S/include" \
    -DOpenCL_LIBRARY="$S/linkonly/libOpenCL.so" > "$1.cfg.log" 2>&1 || tail -20 "$1.cfg.log"
  cmake --build "$1/build" -j"$2" > "$1.build.log" 2>&1 || tail -30 "$1.build.log"
}
