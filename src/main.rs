fn main() {
    println!("kdeck");
}
