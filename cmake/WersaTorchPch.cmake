# One precompiled header for <torch/torch.h>, shared by every C++ target that uses
# LibTorch: parsing it costs about 15 s per translation unit on these machines.
add_library(wersa_torch_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/torch_pch.cc)
target_link_libraries(wersa_torch_pch PUBLIC ${TORCH_LIBRARIES})
target_precompile_headers(wersa_torch_pch PUBLIC <torch/torch.h>)

function(wersa_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM wersa_torch_pch)
endfunction()
