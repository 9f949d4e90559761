// placeholder until the first source lands
namespace koko {}
