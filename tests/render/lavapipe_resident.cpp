// Keeps the lavapipe driver loaded for the whole test process. The Vulkan loader unloads the
// driver after each vkDestroyInstance, so LeakSanitizer cannot name the module of the few
// bytes the driver keeps and no suppression can match them (PLATFORM.md). Harmless when the
// driver is absent or another one is used.
#include <dlfcn.h>

namespace {

[[maybe_unused]] void* const lavapipe = dlopen("libvulkan_lvp.so", RTLD_NOW | RTLD_NODELETE);

}  // namespace
