// The `tessera info` listing of an HDF5 file: every group and dataset with its type, shape,
// chunks, filters and attributes, including datasets of types tessera cannot read.
#include <hdf5.h>

#include <cstdio>

#include "hdf5_handles.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::io {

using detail::check, detail::dataset_layout, detail::Hdf5Lock, detail::Id, detail::open_read_only;

namespace {

std::string type_text(hid_t type) {
    switch (H5Tget_class(type)) {
        case H5T_INTEGER:
            return std::string(H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint") +
                   std::to_string(8 * H5Tget_size(type));
        case H5T_FLOAT:
            return "float" + std::to_string(8 * H5Tget_size(type));
        case H5T_ENUM:
            return H5Tget_size(type) == 1 ? "bool" : "enum";
        case H5T_STRING:
            return "string";
        case H5T_COMPOUND:
            return "compound";
        case H5T_ARRAY:
            return "array";
        case H5T_VLEN:
            return "vlen";
        case H5T_OPAQUE:
            return "opaque";
        case H5T_REFERENCE:
            return "reference";
        case H5T_BITFIELD:
            return "bitfield";
        default:
            return "other";
    }
}

std::string attribute_text(hid_t attr) {
    Id type(H5Aget_type(attr), H5Tclose);
    Id space(H5Aget_space(attr), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    const H5T_class_t cls = H5Tget_class(type);
    // What a listing shows of an attribute is small; a corrupt file may claim anything.
    constexpr hssize_t kMaxRead = 1 << 20;
    if (n < 0 || type.id < 0) return "(unreadable)";
    if (n > kMaxRead || static_cast<double>(H5Tget_size(type)) * static_cast<double>(n) > 64e6)
        return "(" + std::to_string(n) + " values, not shown)";
    if (cls == H5T_STRING) {
        if (H5Tis_variable_str(type) > 0) {
            if (n != 1) return "(" + std::to_string(n) + " strings)";
            Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
            H5Tset_size(mem, H5T_VARIABLE);
            H5Tset_cset(mem, H5Tget_cset(type));  // HDF5 does not convert between ASCII and UTF-8
            char* value = nullptr;
            if (H5Aread(attr, mem, &value) < 0) return "(unreadable)";
            std::string out = value ? value : "";
            H5free_memory(value);
            return "'" + out + "'";
        }
        const std::size_t size = H5Tget_size(type);
        std::string buf(size * static_cast<std::size_t>(n), '\0');
        if (H5Aread(attr, type, buf.data()) < 0) return "(unreadable)";
        if (n != 1) return "(" + std::to_string(n) + " strings)";
        return "'" + std::string(buf.c_str()) + "'";
    }
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) return "(" + type_text(type) + ")";
    std::vector<double> values(static_cast<std::size_t>(n));
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, values.data()) < 0) return "(unreadable)";
    std::string out;
    constexpr std::size_t kShown = 8;
    for (std::size_t i = 0; i < values.size() && i < kShown; ++i) {
        char v[32];
        std::snprintf(v, sizeof v, "%.17g", values[i]);
        out += (i ? ", " : "") + std::string(v);
    }
    if (values.size() > kShown) out += ", ... (" + std::to_string(values.size()) + " values)";
    return H5Sget_simple_extent_ndims(space) > 0 ? "[" + out + "]" : out;
}

void list_attributes(hid_t obj, ObjectListing& listing) {
    detail::visit_attributes(obj, [&](hid_t o, const char* name) {
        Id a(H5Aopen(o, name, H5P_DEFAULT), H5Aclose);
        listing.attributes.emplace_back(name, a.id >= 0 ? attribute_text(a) : "(unreadable)");
    });
    H5Eclear2(H5E_DEFAULT);
}

void describe_dataset(hid_t dset, ObjectListing& l) {
    Id type(check(H5Dget_type(dset), l.path), H5Tclose);
    l.type = type_text(type);
    detail::DatasetLayout layout = dataset_layout(dset, l.path);
    if (layout.null_space) l.type += ", null dataspace";
    l.shape = std::move(layout.shape);
    l.chunks = std::move(layout.chunks);
    for (const auto& f : layout.filters) {
        std::string text;
        if (f.id == H5Z_FILTER_DEFLATE)
            text = "gzip " + std::to_string(f.values.empty() ? 1 : f.values[0]);
        else if (f.id == H5Z_FILTER_SHUFFLE)
            text = "shuffle";
        else if (f.id == H5Z_FILTER_FLETCHER32)
            text = "fletcher32";
        else if (f.id == H5Z_FILTER_SZIP)
            text = "szip";
        else
            text = !f.name.empty() ? f.name : "filter " + std::to_string(f.id);
        l.compression += (l.compression.empty() ? "" : " + ") + text;
    }
}

}  // namespace

std::vector<ObjectListing> describe_file(const std::string& path) {
    Hdf5Lock lock;
    Id file = open_read_only(path);
    std::vector<ObjectListing> out;
    ObjectListing root;
    root.path = "/";
    root.is_group = true;
    list_attributes(file, root);
    out.push_back(std::move(root));
    detail::visit_links(file, H5_ITER_INC, [&](hid_t group, const char* name) {
        Id obj(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
        if (obj.id < 0) {
            H5Eclear2(H5E_DEFAULT);
            return;
        }
        const H5I_type_t kind = H5Iget_type(obj);
        if (kind != H5I_DATASET && kind != H5I_GROUP) return;
        ObjectListing l;
        l.path = std::string("/") + name;
        l.is_group = kind == H5I_GROUP;
        try {
            if (!l.is_group) describe_dataset(obj, l);
        } catch (const IoError& e) {
            l.type = std::string("unreadable (") + e.what() + ")";  // listed all the same
        }
        list_attributes(obj, l);
        out.push_back(std::move(l));
    });
    return out;
}

}  // namespace tessera::io
